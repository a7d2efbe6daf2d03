// The ceiling: a bare functions-framework HTTP function, no database, no routing.
import { http } from '@google-cloud/functions-framework';

http('hello', (_req, res) => {
  res.json({ hello: 'world' });
});
