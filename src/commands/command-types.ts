import type { z } from 'zod';
import type { CommandDefinition } from './command.ts';

/**
 * A command of any args schema and any deps, as the registry holds them. `run` is declared
 * with method syntax, so a `CommandDefinition<ZodObject<…>, CoreDeps>` is assignable here.
 */
export type AnyCommand = CommandDefinition<z.ZodType, unknown>;
