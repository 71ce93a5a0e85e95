import type { Store } from '../store/types.ts';
import type { Registry } from './registry.ts';

/** What the built-in commands need from the composition root (app.ts). */
export interface CoreDeps {
  store: Store;
  /** For `help`: the same registry the dispatcher matches against. */
  registry: Registry;
}
