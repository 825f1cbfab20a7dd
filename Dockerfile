# nim-graphql: the gateway, built to JavaScript and run without dev dependencies, as a non-root user.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-slim
# V8 sizes its heap from the machine: on a large host the young generation alone grew to 128 MB and
# the gateway to 340-480 MB at 10 clients. These keep it near 180 MB at the same speed (BENCHMARKS.md,
# Memory); 768 MB of old space holds ~10,000 open streams (~45 KiB live each). `npm run start:prod`
# passes the same flags.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 \
    NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=768"
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# GraphiQL's example tabs are read from here at start.
COPY examples/operations ./examples/operations
# `npm run start:prod` preloads these (the Node check, .env); the CMD runs dist/main.js directly.
COPY scripts/require-node.mjs scripts/load-env-file.mjs ./scripts/
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
