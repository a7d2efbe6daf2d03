import { register } from '../register.js';

await register('predict');
