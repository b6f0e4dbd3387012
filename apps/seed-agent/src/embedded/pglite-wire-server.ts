import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/**
 * Serves one PGlite instance over the PostgreSQL wire protocol to many TCP clients (a pg pool).
 *
 * Why not `PGLiteSocketServer` from @electric-sql/pglite-socket 0.2.17: it queues every protocol
 * *message* separately and only keeps a client's messages together inside an explicit transaction, so
 * two pooled connections' Parse/Bind/Execute/Sync sequences interleave in PGlite's single session when a
 * message spans several TCP reads (parameters of a few MB): the Bind then runs the *other* client's
 * statement ("bind message supplies 2 parameters, but prepared statement "" requires 1", or silently wrong
 * rows). Reproduced here, reported upstream as electric-sql/pglite#1046. It also defaults to one
 * connection, and one failing exec wedges its queue for good.
 *
 * This server queues whole *batches* (every message up to Sync, Query or Flush) and gives the session to
 * one connection while it is inside a transaction or an unsynced extended-protocol exchange. A connection
 * that holds a transaction idle while others wait longer than `idleTransactionTimeoutMs` is terminated
 * (its transaction rolls back), so a transaction that awaits a query on another pooled connection fails
 * instead of hanging forever.
 */
export interface PGliteWireServerOptions {
  db: PGlite;
  host?: string;
  /** 0 lets the OS choose a free port (no race with other processes). */
  port?: number;
  /** Kill a connection idle inside a transaction while other connections wait this long. */
  idleTransactionTimeoutMs?: number;
  log: (message: string) => void;
}

export interface PGliteWireServer {
  readonly port: number;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
/** Messages after which the client waits for an answer, so the batch is complete. */
const BATCH_ENDS = new Set(['S', 'Q', 'H', 'F', 'c', 'f']);
/** After these the client may continue its exchange without a Sync; keep the session for it. */
const LEAVES_SESSION_OPEN = new Set(['H']);
const ROLLBACK = simpleQuery('ROLLBACK');

interface Connection {
  readonly id: number;
  readonly socket: Socket;
  buffer: Buffer;
  pending: Buffer[];
  startupDone: boolean;
  closed: boolean;
  lastActivity: number;
}

interface Job {
  conn: Connection;
  bytes: Uint8Array;
  leavesSessionOpen: boolean;
  queuedAt: number;
  rollback?: boolean;
}

export async function startPGliteWireServer(options: PGliteWireServerOptions): Promise<PGliteWireServer> {
  const { db, log } = options;
  const idleTimeoutMs = options.idleTransactionTimeoutMs ?? 15_000;
  const connections = new Set<Connection>();
  let queue: Job[] = [];
  let owner: Connection | null = null;
  let running: Job | null = null;
  let drained: (() => void) | null = null;
  let nextId = 1;

  const pump = async (): Promise<void> => {
    if (running) return;
    for (let job = pickNext(); job; job = pickNext()) {
      running = job;
      queue = queue.filter((j) => j !== job);
      await run(job);
      running = null;
    }
    notifyIfDrained();
  };

  // close() waits for this: every socket gone, its rollback done, nothing running, before PGlite closes.
  const notifyIfDrained = (): void => {
    if (drained && connections.size === 0 && !running && queue.length === 0) drained();
  };

  // While a connection owns the session only its batches run; the others keep their place in line.
  const pickNext = (): Job | undefined => (owner ? queue.find((j) => j.conn === owner) : queue[0]);

  const run = async (job: Job): Promise<void> => {
    const { conn } = job;
    let holdsSession: boolean;
    try {
      await db.runExclusive(() =>
        db.execProtocolRawStream(job.bytes, {
          onRawData: (data) => {
            if (!conn.closed) conn.socket.write(Buffer.from(data)); // PGlite reuses its buffer
          },
        }),
      );
      holdsSession = db.isInTransaction() || job.leavesSessionOpen;
    } catch (error) {
      // The session state is unknown now: drop this client rather than answer it wrongly, and roll back
      // (once) before anyone else runs.
      log(`embedded postgres: connection #${conn.id} failed: ${String(error)}`);
      conn.socket.destroy();
      holdsSession = !job.rollback;
    }
    conn.lastActivity = Date.now();
    owner = holdsSession ? conn : null;
    if (owner === conn && conn.closed) {
      if (!job.rollback) queue.unshift(rollbackJob(conn));
      else {
        log(`embedded postgres: ROLLBACK after connection #${conn.id} closed left a transaction open`);
        owner = null;
      }
    }
  };

  const rollbackJob = (conn: Connection): Job => ({
    conn,
    bytes: ROLLBACK,
    leavesSessionOpen: false,
    queuedAt: Date.now(),
    rollback: true,
  });

  const onClose = (conn: Connection): void => {
    conn.closed = true;
    connections.delete(conn);
    queue = queue.filter((j) => j.conn !== conn);
    // A dropped client's open transaction must not block everyone else (it is rolled back, as in Postgres).
    if (owner === conn && running?.conn !== conn) queue.unshift(rollbackJob(conn));
    void pump();
  };

  const onData = (conn: Connection, chunk: Buffer): void => {
    conn.lastActivity = Date.now();
    conn.buffer = conn.buffer.length ? Buffer.concat([conn.buffer, chunk]) : chunk;
    while (!conn.closed) {
      const message = conn.startupDone ? takeTyped(conn) : takeStartup(conn);
      if (!message) break;
      if (!conn.startupDone) {
        const code = message.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          conn.socket.write('N'); // no TLS on a loopback socket; the client goes on in plain text
          continue;
        }
        if (code === CANCEL_REQUEST) {
          conn.socket.destroy(); // nothing to cancel: PGlite runs a query synchronously to the end
          return;
        }
        conn.startupDone = true;
        enqueue(conn, [message], false);
        continue;
      }
      const type = String.fromCharCode(message[0]);
      if (type === 'X') {
        conn.closed = true; // nothing more goes to it; 'close' does the cleanup
        conn.socket.end(); // Terminate: never forward it, it would end the shared session
        return;
      }
      conn.pending.push(message);
      if (BATCH_ENDS.has(type)) {
        enqueue(conn, conn.pending, LEAVES_SESSION_OPEN.has(type));
        conn.pending = [];
      }
    }
  };

  const enqueue = (conn: Connection, messages: Buffer[], leavesSessionOpen: boolean): void => {
    queue.push({ conn, bytes: Buffer.concat(messages), leavesSessionOpen, queuedAt: Date.now() });
    void pump();
  };

  const watchdog = setInterval(
    () => {
      if (!owner || running || queue.length === 0 || owner.socket.writableEnded) return;
      if (queue.some((j) => j.conn === owner)) return;
      const waitingSince = Math.max(owner.lastActivity, Math.min(...queue.map((j) => j.queuedAt)));
      const waited = Date.now() - waitingSince;
      if (waited < idleTimeoutMs) return;
      const message =
        `terminating connection: idle in a transaction for ${waited} ms while ${queue.length} ` +
        `other request(s) waited; the embedded PGlite runs one transaction at a time, so a transaction ` +
        `must not wait for another connection`;
      log(`embedded postgres: connection #${owner.id} ${message}`);
      const { socket } = owner;
      socket.end(fatalError('25P03', message)); // the client sees why; its 'close' rolls back
      setTimeout(() => socket.destroy(), 1000).unref(); // in case the client never closes its side
    },
    Math.max(10, Math.min(1000, idleTimeoutMs / 4)),
  );
  watchdog.unref();

  const server: Server = createServer((socket) => {
    const conn: Connection = {
      id: nextId++,
      socket,
      buffer: Buffer.alloc(0),
      pending: [],
      startupDone: false,
      closed: false,
      lastActivity: Date.now(),
    };
    connections.add(conn);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => onData(conn, chunk));
    socket.on('error', () => socket.destroy()); // a client vanishing is normal; 'close' cleans up
    socket.on('close', () => onClose(conn));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('embedded postgres: no TCP address');

  return {
    port: address.port,
    async close() {
      clearInterval(watchdog);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const done = new Promise<void>((resolve) => (drained = resolve));
      for (const conn of connections) conn.socket.destroy();
      notifyIfDrained();
      await done;
      await closed;
    },
  };
}

function takeStartup(conn: Connection): Buffer | null {
  if (conn.buffer.length < 8) return null;
  return take(conn, conn.buffer.readInt32BE(0), 8);
}

function takeTyped(conn: Connection): Buffer | null {
  if (conn.buffer.length < 5) return null;
  return take(conn, 1 + conn.buffer.readInt32BE(1), 5);
}

function take(conn: Connection, length: number, minimum: number): Buffer | null {
  if (length < minimum) {
    conn.socket.destroy(); // not the PostgreSQL protocol: framing is lost for good
    conn.closed = true;
    return null;
  }
  if (conn.buffer.length < length) return null;
  const message = conn.buffer.subarray(0, length);
  conn.buffer = conn.buffer.subarray(length);
  return message;
}

function simpleQuery(sql: string): Buffer {
  const body = Buffer.from(`${sql}\0`);
  const header = Buffer.alloc(5);
  header.write('Q', 0);
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

function fatalError(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`);
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([header, fields]);
}
