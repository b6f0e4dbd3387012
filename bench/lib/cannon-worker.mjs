// Child process: runs one autocannon load against a URL and sends its figures back over IPC, so the load
// generator has its own event loop (and core) instead of competing with the server it measures.
import autocannon from 'autocannon';

process.once('message', (options) => {
  const { url, path, method, headers, body, connections, duration, track } = options;
  const statuses = {};
  const samples = new Map();
  const versions = {};
  const request = { method, path, headers, body };
  if (track) {
    request.onResponse = (status, text) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status < 200 || status >= 300) {
        const key = `${status} ${String(text).slice(0, 300)}`;
        samples.set(key, (samples.get(key) ?? 0) + 1);
        return;
      }
      try {
        const parsed = JSON.parse(text);
        if (parsed.versionId) versions[parsed.versionId] = (versions[parsed.versionId] ?? 0) + 1;
      } catch {
        samples.set(`${status} not JSON: ${String(text).slice(0, 200)}`, 1);
      }
    };
  }
  const instance = autocannon(
    { url, connections, duration, requests: [request], timeout: 10 },
    (error, result) => {
      if (error) {
        process.send({ error: String(error.stack ?? error) }, () => process.exit(1));
        return;
      }
      process.send(
        {
          result: {
            requestsPerSec: result.requests.average,
            totalRequests: result.requests.total,
            latency: result.latency,
            non2xx: result.non2xx,
            ok2xx: result['2xx'],
            errors: result.errors,
            timeouts: result.timeouts,
            durationSec: result.duration,
            statusCodeStats: result.statusCodeStats,
            tracked: track ? { statuses, versions, samples: [...samples].slice(0, 10) } : undefined,
          },
        },
        () => process.exit(0),
      );
    },
  );
  process.on('message', (message) => {
    if (message === 'stop') instance.stop();
  });
  process.send({ started: true });
});
