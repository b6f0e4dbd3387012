import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { envSchema } from '@seed/config';
import { RouteCatalog } from '../../src/http/route-catalog';
import { startTestApp, type TestApp } from '../harness';
import {
  dockerIgnores,
  dockerignorePatterns,
  durationMs,
  healthcheckCommand,
  K8S_DIR,
  lastOf,
  parseDockerfile,
  readFlyToml,
  readK8sDocuments,
  repoFile,
  REPO,
  stageEnv,
  type K8sDocument,
} from './manifests';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The deployment files checked against the app they deploy: probe paths against the routes the app really
 * serves, ports against PORT, every variable against the config schema, the Kubernetes objects against
 * their OpenAPI schemas (kubernetes-models, offline).
 */

const SCHEMA_KEYS = new Set(Object.keys(envSchema.shape));
/** Read by Node itself, not by the app's config. */
const NODE_OWN = new Set(['NODE_OPTIONS']);
const SHUTDOWN_DEFAULT_MS = 10_000;

/** kubernetes-models is ESM-only; jest runs this file as CommonJS, so it is loaded with a real import(). */
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;

async function k8sModel(
  apiVersion: string,
  kind: string,
): Promise<new (data: unknown) => { validate(): void }> {
  const module = await importEsm(`kubernetes-models/${apiVersion}`);
  const model = module[kind];
  if (!model) throw new Error(`kubernetes-models has no ${apiVersion} ${kind}`);
  return model;
}

function unknownVariables(names: Iterable<string>, helpers: Set<string> = new Set()): string[] {
  return [...names].filter((n) => !SCHEMA_KEYS.has(n) && !NODE_OWN.has(n) && !helpers.has(n));
}

let app: TestApp;
let publicGetPaths: Set<string>;

beforeAll(async () => {
  app = await startTestApp();
  publicGetPaths = new Set(
    app.app
      .get(RouteCatalog)
      .routes()
      .filter((r) => r.method === 'GET' && r.public)
      .map((r) => r.path),
  );
}, 60_000);

afterAll(async () => {
  await app?.close();
});

function expectServedProbe(path: string): void {
  expect(publicGetPaths).toContain(path);
}

describe('the app routes the probes rely on', () => {
  it('serves /health, /health/ready and /health/deep publicly', async () => {
    for (const path of ['/health', '/health/ready', '/health/deep']) {
      expectServedProbe(path);
      const response = await app.request('GET', path, undefined, { role: null });
      expect(response.status).toBe(200);
    }
  });
});

describe('Dockerfile', () => {
  const file = parseDockerfile(repoFile('Dockerfile'));
  const runtime = file.stages.at(-1)!;
  const env = stageEnv(file, runtime);
  const allRuns = file.stages.flatMap((s) =>
    s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args),
  );

  it('builds in stages on node:24-slim', () => {
    expect(file.stages.length).toBeGreaterThanOrEqual(3);
    for (const stage of file.stages) {
      const base = file.stages.some((s) => s.name === stage.from) ? undefined : stage.from;
      if (base) expect(base).toBe('node:24-slim');
    }
    expect(allRuns.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(allRuns.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    // Production dependencies only in what the runtime copies.
    expect(allRuns.some((r) => /\bnpm (prune|ci|install)\b.*--omit=dev/.test(r))).toBe(true);
  });

  it('runs a lean runtime stage: non-root, tini, node directly, production deps and dist only', () => {
    const user = lastOf(file, runtime, 'USER')?.args ?? 'root';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(user.split(':')[0]).not.toBe('0');

    expect(lastOf(file, runtime, 'ENTRYPOINT')?.json?.[0]).toMatch(/\/tini$/);
    expect(allRuns.some((r) => /apt-get install[^&]*\btini\b/.test(r))).toBe(true);
    expect(lastOf(file, runtime, 'STOPSIGNAL')?.args).toBe('SIGTERM');

    const cmd = lastOf(file, runtime, 'CMD')?.json;
    expect(cmd?.[0]).toBe('node');
    expect(cmd).toEqual(expect.arrayContaining(['--no-node-snapshot', '--max-semi-space-size=16']));
    expect(cmd?.at(-1)).toBe('dist/apps/seed-agent/src/main.js');
    // npm start runs the very same command.
    const pkg = JSON.parse(repoFile('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start.split(/\s+/)).toEqual(cmd);

    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies.every((c) => c.startsWith('--from='))).toBe(true);
    for (const wanted of ['/app/node_modules', '/app/dist', '/app/VERSION', '/app/package.json']) {
      expect(copies.some((c) => c.includes(wanted))).toBe(true);
    }
  });

  it('sets CODE_DIR under /data, a PORT it exposes, and only variables the app knows', () => {
    expect(env).toMatchObject({ NODE_ENV: 'production', DATA_DIR: '/data', CODE_DIR: '/data/code' });
    expect(lastOf(file, runtime, 'EXPOSE')?.args).toBe(env.PORT);
    expect(unknownVariables(Object.keys(env))).toEqual([]);
    expect(envSchema.safeParse(env).success).toBe(true);
  });

  it('health-checks /health with node (no curl in slim images)', () => {
    const healthcheck = lastOf(file, runtime, 'HEALTHCHECK');
    const command = healthcheck && healthcheckCommand(healthcheck);
    expect(command?.[0]).toBe('node');
    const path = /\/health[\w/]*/.exec(command!.join(' '))?.[0];
    expect(path).toBe('/health');
    expectServedProbe(path!);
  });

  it('finds in the build context every file it copies, and nothing secret', () => {
    const patterns = dockerignorePatterns();
    const contextCopies = file.stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(contextCopies).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
    for (const source of contextCopies.filter((s) => s !== '.')) {
      expect(existsSync(join(REPO, source))).toBe(true);
      expect(dockerIgnores(patterns, source)).toBe(false);
    }
    // What `COPY . .` + nest build need.
    for (const needed of [
      'tsconfig.json',
      'nest-cli.json',
      'VERSION',
      '.npmrc',
      'apps/seed-agent/src/main.ts',
      'libs/persistence/src/data-source.ts',
      'libs/persistence/src/migrations/1764000000000-initial-schema.ts',
    ]) {
      expect([needed, dockerIgnores(patterns, needed)]).toEqual([needed, false]);
    }
    for (const kept of [
      'node_modules/x',
      'dist/main.js',
      '.env',
      '.env.production',
      '.git/config',
      'coverage/x',
    ]) {
      expect([kept, dockerIgnores(patterns, kept)]).toEqual([kept, true]);
    }
  });
});

describe('fly.toml', () => {
  const fly = readFlyToml() as any;
  const env = fly.env as Record<string, string>;

  it('deploys blue/green without a volume, migrating in release_command', () => {
    expect(fly.deploy.strategy).toBe('bluegreen');
    // Fly's blue/green strategy refuses machines with volumes.
    expect(fly.mounts).toBeUndefined();
    expect(fly.deploy.release_command).toMatch(
      /typeorm migration:run -d \/app\/dist\/libs\/persistence\/src\/data-source\.js$/,
    );
    expect(existsSync(join(REPO, 'libs/persistence/src/data-source.ts'))).toBe(true);
    // The CLI ships with the production dependencies the image keeps.
    const pkg = JSON.parse(repoFile('package.json')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.typeorm).toBeDefined();
    expect(env.MIGRATIONS_RUN).toBe('false');
  });

  it('routes on /health/ready and gates the deploy on /health/deep, on the port the app listens on', () => {
    const service = fly.http_service;
    expect(service.internal_port).toBe(Number(env.PORT));
    expect(service.min_machines_running).toBeGreaterThanOrEqual(2);
    const paths = (service.checks as any[]).map((c) => c.path);
    expect(paths).toContain('/health/ready');
    for (const check of Object.values(fly.checks ?? {}) as any[]) {
      expect(check.port).toBe(Number(env.PORT));
      paths.push(check.path);
    }
    expect(paths).toContain('/health/deep');
    paths.forEach(expectServedProbe);
  });

  it('stops with SIGTERM and gives the drain time to finish', () => {
    expect(fly.kill_signal).toBe('SIGTERM');
    const drainMs = Number(env.SHUTDOWN_TIMEOUT ?? SHUTDOWN_DEFAULT_MS);
    expect(durationMs(fly.kill_timeout)).toBeGreaterThan(drainMs + 5_000);
  });

  it('discovers peers through <app>.internal and sets only variables the app knows', () => {
    expect(env.DNS_CLUSTER_QUERY).toBe(`${fly.app}.internal`);
    expect(unknownVariables(Object.keys(env))).toEqual([]);
    expect(envSchema.safeParse(env).success).toBe(true);
    // The heap cap leaves room in the machine for RSS outside the V8 heap.
    const heapMb = Number(/--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS)?.[1]);
    const machineMb = Number(/^(\d+)gb$/i.exec(fly.vm[0].memory)?.[1]) * 1024;
    expect(heapMb).toBeLessThan(machineMb * 0.8);
  });
});

describe('deployment/k8s', () => {
  const docs = readK8sDocuments();
  const objects = docs.filter((d) => d.object.apiVersion && d.object.kind && d.file !== 'kustomization.yaml');
  const find = (kind: string, name?: string): K8sDocument['object'] => {
    const found = objects.filter(
      (d) => d.object.kind === kind && (!name || d.object.metadata?.name === name),
    );
    expect(found.length).toBeGreaterThanOrEqual(1);
    return found[0].object;
  };
  const statefulSet = find('StatefulSet');
  const pod = statefulSet.spec.template;
  const container = pod.spec.containers[0];
  const containerEnv = Object.fromEntries(
    (container.env as any[]).filter((e) => e.value !== undefined).map((e) => [e.name, String(e.value)]),
  );
  const secret = find('Secret');

  it('every object passes its Kubernetes schema', async () => {
    expect(objects.map((d) => d.object.kind).sort()).toEqual(
      ['Job', 'PodDisruptionBudget', 'Secret', 'Service', 'Service', 'StatefulSet'].sort(),
    );
    for (const { file, object } of objects) {
      const Model = await k8sModel(object.apiVersion, object.kind);
      expect(() => new Model(object).validate()).not.toThrow();
      expect(file).toMatch(/\.yaml$/);
    }
  });

  it('the validator does reject a broken object', async () => {
    const Model = await k8sModel('apps/v1', 'StatefulSet');
    const broken = structuredClone(statefulSet);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'four thousand';
    delete broken.spec.selector;
    expect(() => new Model(broken).validate()).toThrow(/containerPort|selector/);
  });

  it('the kustomization lists every manifest but the example Secret', () => {
    const kustomization = docs.find((d) => d.file === 'kustomization.yaml')!.object;
    const listed = kustomization.resources as string[];
    for (const resource of listed) expect(existsSync(join(K8S_DIR, resource))).toBe(true);
    expect(listed).not.toContain('secret.example.yaml');
    expect(new Set(listed)).toEqual(
      new Set(objects.filter((d) => d.object.kind !== 'Secret').map((d) => d.file)),
    );
    const imageNames = (kustomization.images as any[]).map((i) => i.name);
    expect(imageNames).toContain(container.image);
    expect(imageNames).toContain(find('Job').spec.template.spec.containers[0].image);
  });

  it('runs 3 replicas under a headless governing Service that discovery queries', () => {
    expect(statefulSet.spec.replicas).toBe(3);
    const headless = find('Service', statefulSet.spec.serviceName);
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(containerEnv.DNS_CLUSTER_QUERY).toMatch(
      new RegExp(`^${statefulSet.spec.serviceName}\\.\\$\\(POD_NAMESPACE\\)\\.svc\\.cluster\\.local$`),
    );
    const podLabels = pod.metadata.labels as Record<string, string>;
    expect(podLabels).toEqual(expect.objectContaining(statefulSet.spec.selector.matchLabels));
    for (const service of objects.filter((d) => d.object.kind === 'Service').map((d) => d.object)) {
      expect(podLabels).toEqual(expect.objectContaining(service.spec.selector));
      for (const port of service.spec.ports) {
        expect((container.ports as any[]).map((p) => p.name)).toContain(port.targetPort);
      }
    }
    const pdb = find('PodDisruptionBudget');
    expect(podLabels).toEqual(expect.objectContaining(pdb.spec.selector.matchLabels));
    expect(pdb.spec.maxUnavailable).toBe(1);
    // The migrate Job's pods are never selected by the Services or the PDB.
    const jobLabels = find('Job').spec.template.metadata.labels as Record<string, string>;
    expect(jobLabels).not.toEqual(expect.objectContaining(pdb.spec.selector.matchLabels));
  });

  it('probes: startup and readiness on /health/ready, liveness on /health, all on PORT', () => {
    const port = (container.ports as any[]).find((p) => p.name === container.readinessProbe.httpGet.port);
    expect(port.containerPort).toBe(Number(containerEnv.PORT));
    expect(container.startupProbe.httpGet.path).toBe('/health/ready');
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
      expect(probe.httpGet.port).toBe(port.name);
      expectServedProbe(probe.httpGet.path);
    }
    // The startup probe allows minutes for migrations and warm-up before liveness can restart the pod.
    const startupSeconds = container.startupProbe.periodSeconds * container.startupProbe.failureThreshold;
    expect(startupSeconds).toBeGreaterThanOrEqual(120);
  });

  it('drains within terminationGracePeriodSeconds, non-root, with resources', () => {
    const drainMs = Number(containerEnv.SHUTDOWN_TIMEOUT ?? SHUTDOWN_DEFAULT_MS);
    const preStopCommand = container.lifecycle?.preStop?.exec?.command as string[] | undefined;
    const preStopMs = preStopCommand?.[0] === 'sleep' ? Number(preStopCommand[1]) * 1000 : 0;
    expect(pod.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainMs + preStopMs);

    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
    expect(pod.spec.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(container.resources.requests).toEqual(
      expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
    );
    expect(container.resources.limits.memory).toBeDefined();
  });

  it('keeps CODE_DIR on the PVC', () => {
    const dataDir = containerEnv.DATA_DIR;
    const codeDir = containerEnv.CODE_DIR ?? `${dataDir}/code`;
    const claim = (statefulSet.spec.volumeClaimTemplates as any[])[0].metadata.name;
    const mount = (container.volumeMounts as any[]).find((m) => m.name === claim);
    expect(mount.mountPath).toBe(dataDir);
    expect(codeDir.startsWith(`${mount.mountPath}/`)).toBe(true);
  });

  it('sets only variables the app knows, and the migrate Job shares the image, Secret and CLI', () => {
    for (const { object } of objects.filter((d) => ['StatefulSet', 'Job'].includes(d.object.kind))) {
      for (const c of object.spec.template.spec.containers) {
        const names = (c.env as any[]).map((e) => e.name as string);
        // A variable only used to build another one ($(POD_NAMESPACE)) is not the app's.
        const helpers = new Set(
          (c.env as any[]).flatMap((e) =>
            [...String(e.value ?? '').matchAll(/\$\((\w+)\)/g)].map((m) => m[1]),
          ),
        );
        expect(unknownVariables(names, helpers)).toEqual([]);
        expect(c.envFrom).toEqual([{ secretRef: { name: secret.metadata.name } }]);
      }
    }
    expect(envSchema.safeParse({ ...containerEnv, ...secret.stringData }).success).toBe(true);

    const job = find('Job');
    const fly = readFlyToml() as any;
    const flyRelease = (fly.deploy.release_command as string).replace(/\/app\//g, '').split(/\s+/);
    expect(job.spec.template.spec.containers[0].args).toEqual(flyRelease);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('the example Secret names every credential, and sync_secrets.sh pushes the same names', () => {
    const keys = Object.keys(secret.stringData);
    expect(keys).toEqual(
      expect.arrayContaining([
        'DATABASE_URL',
        'REDIS_URL',
        'API_TOKENS',
        'CLAUDE_CODE_OAUTH_TOKEN',
        'ANTHROPIC_API_KEY',
        'OPENAI_COMPATIBLE_API_KEY',
      ]),
    );
    expect(unknownVariables(keys)).toEqual([]);
    const script = repoFile('scripts/sync_secrets.sh');
    const defaults = /^DEFAULT_NAMES=\(([^)]*)\)/m.exec(script)![1].split(/\s+/).filter(Boolean);
    expect(new Set(defaults)).toEqual(new Set(keys));
  });
});
