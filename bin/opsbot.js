#!/usr/bin/env node
// `npx opsbot …` / an installed `opsbot` command: Node runs the TypeScript sources directly.
import '../src/main.ts';
