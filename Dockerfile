# syntax=docker/dockerfile:1
# Gatehouse production image: compiled JavaScript run by `node`, production dependencies only,
# non-root. One image, several commands: `serve` (default), `migrate`, `worker`.
#
#   docker build -t gatehouse .
#   docker run --rm -p 8000:8000 gatehouse                      # embedded mode (PGlite)
#   docker run --rm -e DATABASE_URL=postgres://... gatehouse node dist/main.js migrate

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: full dependency tree, TypeScript compiled to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- prod-deps: production dependencies only ----
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data
WORKDIR /app
# dist/adapters/db/types.js resolves ../../../migrations, i.e. /app/migrations.
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root migrations ./migrations
COPY --chown=root:root bin ./bin
# `gatehouse admin create …`, `gatehouse users import …` work in the container as on a checkout.
RUN ln -s /app/bin/gatehouse.js /usr/local/bin/gatehouse
# The code is owned by root and read-only for the app; only DATA_DIR (embedded mode) is writable.
RUN mkdir -p /app/data && chown node:node /app/data
USER node:node
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js", "serve"]
