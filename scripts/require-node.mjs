// Plain JS so it runs on any Node: the TypeScript sources need Node >= 22.19 (type stripping).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  console.error(`nim-graphql needs Node >= 22.19 (Node 24 LTS recommended); this is Node ${process.versions.node}. See README.md.`);
  process.exit(1);
}
