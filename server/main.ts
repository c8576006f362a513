/** `npm start` (node dist/server/main.js): the server, configured by environment variables. */
import { serve } from './serve.js';

await serve();
