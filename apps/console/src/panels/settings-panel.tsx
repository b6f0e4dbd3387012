import { useState } from 'react';
import { ActionForm } from '../action';
import { api } from '../api';
import { useSession } from '../session';
import { Json, Section } from '../ui';

/** The module's settings (grants, policy, objective); admins edit them as JSON (PATCH validates). */
export function SettingsPanel({
  module,
  settings,
  onSaved,
}: {
  module: string;
  settings: Record<string, unknown>;
  onSaved: () => void;
}) {
  const session = useSession();
  const [draft, setDraft] = useState<string>();
  if (!session.can('settings') || draft === undefined) {
    return (
      <Section
        title="Settings"
        actions={
          session.can('settings') ? (
            <button onClick={() => setDraft(JSON.stringify(settings, null, 2))}>Edit settings</button>
          ) : null
        }
      >
        <Json value={settings} />
      </Section>
    );
  }
  return (
    <Section title="Settings">
      <ActionForm
        onSubmit={async () => {
          await api(session.token, 'PATCH', `/modules/${encodeURIComponent(module)}`, JSON.parse(draft));
          setDraft(undefined);
          onSaved();
        }}
      >
        <textarea name="settings" rows={10} value={draft} onChange={(e) => setDraft(e.target.value)} />
        <div className="row">
          <button type="submit">Save settings</button>
          <button type="button" className="link" onClick={() => setDraft(undefined)}>
            Cancel
          </button>
        </div>
      </ActionForm>
    </Section>
  );
}
