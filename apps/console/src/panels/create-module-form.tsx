import { useState } from 'react';
import { ActionForm } from '../action';
import { api } from '../api';
import { useSession } from '../session';
import { Section } from '../ui';

const EXAMPLE = 'export default (input: { n: number }) => input.n * 2;\n';
const EXAMPLE_TESTS = '[{ "name": "doubles", "input": { "n": 2 }, "expect": 4 }]';

/** Admins create a module; its first version then moves through the pipeline (see the Pipeline page). */
export function CreateModuleForm({ onCreated }: { onCreated: () => void }) {
  const { token } = useSession();
  const [name, setName] = useState('');
  const [source, setSource] = useState(EXAMPLE);
  const [tests, setTests] = useState(EXAMPLE_TESTS);
  const [created, setCreated] = useState<string>();
  return (
    <Section title="Create a module">
      <ActionForm
        onSubmit={async () => {
          const parsed: unknown = tests.trim() ? JSON.parse(tests) : [];
          await api(token, 'POST', '/modules', { name, source, tests: parsed });
          setCreated(name);
          onCreated();
        }}
      >
        <label>
          Name
          <input name="module-name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Source
          <textarea
            name="module-source"
            rows={6}
            value={source}
            onChange={(e) => setSource(e.target.value)}
          />
        </label>
        <label>
          Test cases (JSON)
          <textarea name="module-tests" rows={3} value={tests} onChange={(e) => setTests(e.target.value)} />
        </label>
        <button type="submit">Create module</button>
      </ActionForm>
      {created ? (
        <p>
          Created <a href={`#/modules/${encodeURIComponent(created)}`}>{created}</a>: follow it on the{' '}
          <a href="#/feed">pipeline feed</a>.
        </p>
      ) : null}
    </Section>
  );
}
