// Counts the app's PostgreSQL queries and Redis commands with the drivers' own entry points: every query
// TypeORM sends goes through pg's Client#query, every command ioredis sends (BullMQ's scripts, publishes,
// the blocking reads of its workers) through Redis#sendCommand. Installed before the app starts; the bench
// and the app share node_modules, so these are the prototypes the app's connections use.
import pg from 'pg';
import { Redis } from 'ioredis';

const counts = { queries: 0, commands: 0, byQuery: new Map(), byCommand: new Map() };
let tracing = false;

const bump = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, ...rest) {
  counts.queries++;
  if (tracing) {
    const text = typeof config === 'string' ? config : (config?.text ?? '');
    bump(counts.byQuery, text.replace(/\s+/g, ' ').slice(0, 70));
  }
  return query.call(this, config, ...rest);
};

const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function countedCommand(command, ...rest) {
  counts.commands++;
  if (tracing) {
    const name = String(command?.name ?? '?');
    // BullMQ's scripts are EVALSHA of a sha: name them as the connection defined them
    bump(counts.byCommand, name === 'evalsha' ? `script ${scriptName(this, command.args?.[0])}` : name);
  }
  return sendCommand.call(this, command, ...rest);
};

function scriptName(connection, sha) {
  const found = Object.entries(connection.scriptsSet ?? {}).find(([, script]) => script.sha === sha);
  return found ? found[0] : String(sha);
}

/** The totals so far: subtract two snapshots for a window. */
export function roundTrips() {
  return { queries: counts.queries, commands: counts.commands };
}

/** Names each query and command from now on (one window's breakdown), `stopTrace` returns it. */
export function startTrace() {
  counts.byQuery.clear();
  counts.byCommand.clear();
  tracing = true;
}

export function stopTrace() {
  tracing = false;
  const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]);
  const lines = (map) =>
    sorted(map)
      .map(([what, n]) => `  ${n} × ${what}`)
      .join('\n');
  return { queries: lines(counts.byQuery), commands: lines(counts.byCommand) };
}
