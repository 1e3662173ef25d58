# One image for the four natroni services. The node-agent runs PostgreSQL 15 beside itself, so the
# image carries Debian's PostgreSQL 15 server (which postgres itself runs as the unprivileged user).
FROM node:24-bookworm-slim AS build
WORKDIR /opt/natroni
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY apps apps
COPY libs libs
COPY scripts scripts
COPY bench bench
RUN npm run build

FROM node:24-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends postgresql-15 \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/natroni
COPY package.json package-lock.json ./
# The image's own Node.js 24 runs the services, so the optional Node.js package is left out.
RUN npm ci --omit=dev --omit=optional --ignore-scripts
COPY --from=build /opt/natroni/dist dist
ENV NODE_ENV=production
# A 1 MB young generation per semi-space and at most two malloc arenas: about 30 MB less resident
# memory per process (docs/runtime-and-memory.md).
ENV NODE_OPTIONS=--max-semi-space-size=1 MALLOC_ARENA_MAX=2
# The service to run is the command: dist/bundles/<service>/main.cjs (see docker-compose.yml), or
# dist/bundles/composed/main.cjs with NATRONI_SERVICES naming several services for one container.
ENTRYPOINT ["node"]
