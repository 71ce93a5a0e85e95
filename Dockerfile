# syntax=docker/dockerfile:1
# Build stage: production dependencies only (better-sqlite3 ships a prebuilt addon for Node 24).
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# Runtime stage: Node runs the TypeScript sources directly (type stripping); no build output.
FROM node:24-slim
ENV NODE_ENV=production \
    DATABASE_PATH=/app/data/opsbot.db \
    PORT=3000
WORKDIR /app
# tini as PID 1: workflow shell steps spawn process groups, and their orphans must be reaped.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY workflows ./workflows
COPY playbooks ./playbooks
COPY opsbot.example.yaml slack-app-manifest.yaml ./
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# The SQLite file (and its WAL) lives on a volume so it survives image upgrades.
VOLUME ["/app/data"]
EXPOSE 3000
# The slim image has no curl: Node's own fetch probes the health endpoint.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# The same command as `npm start`, without npm in between (it does not forward SIGTERM reliably).
CMD ["node", "src/main.ts", "start"]
