import { hashSecret, parseApiTokens } from './api-tokens';

describe('parseApiTokens', () => {
  it('parses clear and hashed tokens, several per role', () => {
    const hex = hashSecret('another-long-secret');
    const { tokens, problems } = parseApiTokens(
      `ops:admin:a-very-long-secret, ops2:admin:sha256:${hex},bot:agent:bot-secret-0123456`,
    );
    expect(problems).toEqual([]);
    expect(tokens).toEqual([
      { name: 'ops', role: 'admin', sha256: hashSecret('a-very-long-secret') },
      { name: 'ops2', role: 'admin', sha256: hex },
      { name: 'bot', role: 'agent', sha256: hashSecret('bot-secret-0123456') },
    ]);
  });

  it('reports every bad entry', () => {
    const { problems } = parseApiTokens(
      'x:root:a-very-long-secret,y:admin:short,z:viewer:sha256:nothex,broken,x:admin:a-very-long-secret',
    );
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/role must be/);
    expect(problems.join('\n')).toMatch(/at least 16/);
    expect(problems.join('\n')).toMatch(/64 hex/);
    expect(problems.join('\n')).toMatch(/expected name:role:secret/);
    expect(problems.join('\n')).toMatch(/duplicate/);
  });
});
