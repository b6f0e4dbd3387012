import { useApi } from '../session';
import type { TestCase } from '../types';
import { ErrorLine, Json, Section } from '../ui';

/** The module's cases as the API shows them to this role (hidden ones only for admins). */
export function TestsPanel({ module, version }: { module: string; version: number }) {
  const tests = useApi<{ items: TestCase[] }>(`/modules/${encodeURIComponent(module)}/tests`, version);
  return (
    <Section title="Test cases">
      <ErrorLine error={tests.error} />
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Input</th>
            <th>Expect</th>
            <th>By</th>
          </tr>
        </thead>
        <tbody>
          {tests.data?.items.map((t) => (
            <tr key={t.name}>
              <td>{t.name}</td>
              <td>
                <Json value={t.input} />
              </td>
              <td>
                {'expect' in t ? <Json value={t.expect} /> : <span className="muted">does not throw</span>}
              </td>
              <td>{t.createdBy}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
