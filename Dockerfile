# The arcmesh control plane image the chart names (ghcr.io/arcmesh/controlplane:<appVersion>): the package's
# dist/controlplane (and the dist/kube and dist/lib modules it imports) with its runtime node_modules, run by Node 24
# as the non-root user 65532 from WORKDIR /app. The chart's `command: ["node", "/app/dist/controlplane/main.js"]`
# and `--component=osm-controller|osm-injector` select what runs.
#
# The sandbox's node runs exactly this entry point from the package root, mapping /app to it
# (src/sandbox/node/images.ts); test/unit/sandbox-node-dockerfile.test.ts holds this file and that mapping together.
#
#   docker build -t ghcr.io/arcmesh/controlplane:1.2.5 .

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# `prepare` would build before the sources are copied; the build runs below.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
RUN npx zx scripts/build.mjs

FROM node:24-bookworm-slim AS runtime-modules
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=runtime-modules /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /src/dist/controlplane ./dist/controlplane
COPY --from=build /src/dist/kube ./dist/kube
COPY --from=build /src/dist/lib ./dist/lib
USER 65532:65532
EXPOSE 9091 9092 9093 15128
CMD ["node", "/app/dist/controlplane/main.js"]
