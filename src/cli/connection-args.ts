import type { Config, ConnectionConfig } from '../config/index.ts';
import { UsageError } from './usage.ts';

/** The configured connection named `id`, or a UsageError naming <connection> and the choices. */
export function configuredConnection(config: Readonly<Config>, id: string): Readonly<ConnectionConfig> {
  const found = config.connections.find((c) => c.id === id);
  if (!found) {
    throw new UsageError(
      `<connection> '${id}' is not configured (configured: ${config.connections.map((c) => c.id).join(', ')})`,
    );
  }
  return found;
}

/** The first configured connection on `instance`, or a UsageError naming <instance> and the choices. */
export function configuredInstance(config: Readonly<Config>, instance: string): Readonly<ConnectionConfig> {
  const found = config.connections.find((c) => c.instance === instance);
  if (!found) {
    const known = [...new Set(config.connections.map((c) => c.instance))];
    throw new UsageError(`<instance> '${instance}' is not configured (configured: ${known.join(', ')})`);
  }
  return found;
}
