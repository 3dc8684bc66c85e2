/** The JSON Schema of the config file, for editors (yaml-language-server) to complete and check it. */
import { z } from 'zod';
import { configSchema } from './schema';

export function configJsonSchema(): Record<string, unknown> {
  // `input`: what a person writes, so keys with defaults stay optional.
  return {
    title: 'scrumops config',
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
  };
}
