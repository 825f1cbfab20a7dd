# nim-graphql: the gateway, built to JavaScript and run without dev dependencies, as a non-root user.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-slim
# V8 sizes its young generation from the machine: on a large host it grew to 128 MB, and the
# gateway to 325-365 MB at 10 clients. 16 MB semi-spaces, and old space let grow to twice its live
# size before a full GC instead of up to four times, keep it at 220-275 MB at the same CPU per
# request (BENCHMARKS.md, Memory; growing it by half takes 15 MB more off for 15% more CPU, and
# bounding old space costs a third more). `npm run start:prod` passes the same flags. NODE_OPTIONS
# set at run time replaces the first; node takes the second only on its command line, hence the CMD.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 NODE_OPTIONS="--max-semi-space-size=16"
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
CMD ["node", "--heap-growing-percent=100", "dist/main.js"]
