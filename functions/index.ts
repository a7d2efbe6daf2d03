// Entry point of the deployed package (package.json "main"): registers every function
// with functions-framework. Each function deploys with its own --entry-point/--target.
import './ingest/index.js';
import './predict/index.js';
import './sync-results/index.js';
import './evaluate/index.js';
import './api/index.js';
import './schedule/index.js';
import './pits/index.js';
