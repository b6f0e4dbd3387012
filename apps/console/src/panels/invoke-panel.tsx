import { useState } from 'react';
import { api, describeError } from '../api';
import { useSession } from '../session';
import { ErrorLine, Json, Section } from '../ui';

/** JSON in, the active version's output and logs out (every role may invoke). */
export function InvokePanel({ module }: { module: string }) {
  const { token } = useSession();
  const [input, setInput] = useState('{}');
  const [result, setResult] = useState<unknown>();
  const [error, setError] = useState<string>();
  return (
    <Section title="Invoke">
      <form
        className="stack"
        onSubmit={async (event) => {
          event.preventDefault();
          setError(undefined);
          setResult(undefined);
          try {
            const parsed: unknown = JSON.parse(input);
            setResult(
              await api(token, 'POST', `/modules/${encodeURIComponent(module)}/invoke`, {
                input: parsed,
                debug: true,
              }),
            );
          } catch (e) {
            setError(describeError(e));
          }
        }}
      >
        <label>
          Input (JSON)
          <textarea name="invoke-input" rows={3} value={input} onChange={(e) => setInput(e.target.value)} />
        </label>
        <button type="submit">Invoke</button>
      </form>
      <ErrorLine error={error} />
      {result !== undefined ? <Json value={result} label="invoke result" /> : null}
    </Section>
  );
}
