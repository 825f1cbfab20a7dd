// Plain JS so it runs on any Node: the TypeScript sources need Node >= 22.19 (type stripping). Every
// npm script runs on the Node that `npm install` brings (the `node` devDependency, first on the
// scripts' PATH); this says what to do when that one is missing and the system's is too old.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  console.error(
    `nim-graphql needs Node >= 22.19, and this is Node ${process.versions.node} (${process.execPath}). ` +
      '`npm install` brings Node 24 into node_modules/ for the npm scripts: run it (without --ignore-scripts), ' +
      'or install Node 24 LTS (see .nvmrc).',
  );
  process.exit(1);
}
