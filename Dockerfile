# Parley: the API on :8000 and the web client on :5000, started by the same `npm start` the tests run.
FROM node:20-bookworm-slim

# better-sqlite3 compiles from source when no prebuilt binary matches the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Manifests first, so `npm ci` stays cached until a dependency changes.
COPY package.json package-lock.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/sdk/package.json packages/sdk/
COPY packages/server/package.json packages/server/
COPY packages/cli/package.json packages/cli/
COPY packages/web/package.json packages/web/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY . .
# The web bundle is built into the image, so the first start does not build it.
RUN npm run build -w @parley/web

RUN mkdir -p /data && chown node:node /data /app/packages/web
# Both listeners on every interface of the container (the web server binds localhost by default).
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000 WEB_HOST=0.0.0.0 WEB_PORT=5000 DATA_DIR=/data
VOLUME /data
EXPOSE 8000 5000
USER node
HEALTHCHECK --interval=10s --timeout=3s \
  CMD node -e "fetch('http://127.0.0.1:8000/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# npm forwards SIGTERM to the server, which drains [D5]; stop_grace_period in compose leaves it the time.
CMD ["npm", "start"]
