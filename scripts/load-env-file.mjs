// Preloaded by `npm start`, `npm run dev` and `npm run start:prod`: the Node check, then `.env` from
// the current directory when there is one. A variable already in the environment wins over the
// file's. (Not Node's --env-file-if-exists: it prints a plain-text line when the file is missing.)
import './require-node.mjs';
import { existsSync } from 'node:fs';

if (existsSync('.env')) process.loadEnvFile('.env');
