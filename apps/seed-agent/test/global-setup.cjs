// Runs once before all test files. Tests that start the app as a child process need dist/.
const { execSync } = require('node:child_process');
const { existsSync, statSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.includes('.spec.')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

module.exports = async function globalSetup() {
  const root = join(__dirname, '..', '..', '..');
  const main = join(root, 'dist', 'apps', 'seed-agent', 'src', 'main.js');
  const sources = Math.max(newestMtime(join(root, 'apps', 'seed-agent', 'src')), newestMtime(join(root, 'libs')));
  if (!existsSync(main) || statSync(main).mtimeMs < sources) {
    execSync('npx nest build', { cwd: root, stdio: 'inherit' });
  }
};
