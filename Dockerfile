# The jobmesh service images, one target per service (orchestrator, persistence, vm-runner, fsops):
#   docker build --target orchestrator -t jobmesh-orchestrator .
# The base is a Debian bookworm image with Node 24 and npm at /usr/local (the official
# node:24-bookworm-slim by default; CI passes a local stand-in, see tools/deploy).
# No devDependencies at run time: the contracts are generated (buf + ts-proto) in the `build`
# stage and only their output is copied; the runtime stages install `npm ci --omit=dev`.
# Services run TypeScript directly through Node 24's type stripping, as `npm start` does.
ARG BASE_IMAGE=node:24.21.0-bookworm-slim

# Every workspace manifest with its folder, so dependency layers are rebuilt only when one changes;
# `runtime` holds those of what runs in the images: the four services, the CLI and the libs
# (not tools/, not the console).
FROM ${BASE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN set -eu; mkdir -p /manifests/all /manifests/runtime; \
    for file in package.json package-lock.json apps/*/package.json libs/*/package.json tools/*/package.json; do \
      mkdir -p "/manifests/all/$(dirname "$file")"; cp "$file" "/manifests/all/$file"; \
    done; \
    for file in package.json package-lock.json apps/orchestrator/package.json apps/persistence/package.json \
                apps/vm-runner/package.json apps/fsops/package.json apps/cli/package.json apps/console/package.json libs/*/package.json; do \
      mkdir -p "/manifests/runtime/$(dirname "$file")"; cp "$file" "/manifests/runtime/$file"; \
    done

# Contracts: buf + ts-proto (devDependencies) generate libs/contracts/src/generated.
FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY --from=manifests /manifests/all/ ./
RUN npm ci --no-audit --no-fund
COPY nx.json buf.yaml buf.gen.yaml tsconfig.base.json tsconfig.json ./
COPY proto/ proto/
COPY third_party/ third_party/
COPY libs/contracts/ libs/contracts/
RUN npm run generate --silent

# Runtime dependencies only. Workspace links to packages that are not in the image (tools/*,
# which some apps list for their tests) would dangle: they are removed.
FROM ${BASE_IMAGE} AS deps
WORKDIR /app
COPY --from=manifests /manifests/runtime/ ./
RUN npm ci --omit=dev --no-audit --no-fund && find node_modules -xtype l -delete && npm cache clean --force

# /app as the services see it: sources, migrations, runtime dependencies, generated contracts.
FROM scratch AS app
WORKDIR /app
COPY --from=deps /app/ ./
COPY apps/orchestrator/ apps/orchestrator/
COPY apps/persistence/ apps/persistence/
COPY apps/vm-runner/ apps/vm-runner/
COPY apps/fsops/ apps/fsops/
COPY apps/cli/ apps/cli/
COPY apps/console/ apps/console/
# The console's web build reads apps/console/tsconfig.json, which extends the base one.
COPY tsconfig.base.json ./
COPY libs/ libs/
COPY migrations/ migrations/
COPY deploy/docker/health-check.ts deploy/docker/catalog.json deploy/docker/
COPY --from=build /src/libs/contracts/src/generated/ libs/contracts/src/generated/

# What every service image has: tini as PID 1 (reaps the children of git, qemu and jobs; passes
# SIGTERM on), the unprivileged user `jobmesh` (uid 10001) and its data folder /data.
FROM ${BASE_IMAGE} AS runtime
RUN set -eu; apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tini; \
    rm -rf /var/lib/apt/lists/*; \
    groupadd --system --gid 10001 jobmesh; \
    useradd --system --uid 10001 --gid jobmesh --home-dir /data --shell /usr/sbin/nologin jobmesh; \
    mkdir -p /data && chown jobmesh:jobmesh /data
ENV NODE_ENV=production JOBMESH_DATA_DIR=/data JOBMESH_LOG_LEVEL=info
WORKDIR /app
ENTRYPOINT ["/usr/bin/tini", "--"]

FROM runtime AS orchestrator
COPY --from=app /app/ /app/
RUN mkdir -p /data/orchestrator && chown jobmesh:jobmesh /data/orchestrator
USER jobmesh
EXPOSE 50051
CMD ["node", "apps/orchestrator/src/main.ts"]

FROM runtime AS persistence
COPY --from=app /app/ /app/
USER jobmesh
EXPOSE 50052
CMD ["node", "apps/persistence/src/main.ts"]

# fsops checks repositories out with git.
FROM runtime AS fsops
RUN set -eu; apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git ca-certificates openssh-client; \
    rm -rf /var/lib/apt/lists/*; \
    mkdir -p /data/fsops /data/workspaces /data/staging/outputs /data/artifacts; \
    chown -R jobmesh:jobmesh /data
COPY --from=app /app/ /app/
USER jobmesh
EXPOSE 50054
CMD ["node", "apps/fsops/src/main.ts"]

# vm-runner: qemu (KVM when a probe guest boots under it, else TCG) and what builds the test guest
# image. It runs as `jobmesh` too: /dev/kvm needs its group (compose: group_add), and jobs of
# process labels run as that user inside this container.
FROM runtime AS vm-runner
RUN set -eu; apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      qemu-system-x86 qemu-utils linux-image-amd64 busybox-static genisoimage e2fsprogs cpio xz-utils kmod; \
    rm -rf /var/lib/apt/lists/*; \
    getent group kvm >/dev/null || groupadd --system kvm; \
    mkdir -p /data/vm-runner /data/workspaces /data/staging/outputs /images; \
    chown -R jobmesh:jobmesh /data /images
COPY --from=app /app/ /app/
USER jobmesh
ENV JOBMESH_VMRUNNER_IMAGE_CACHE_DIR=/images JOBMESH_VMRUNNER_CATALOG=/app/deploy/docker/catalog.json
EXPOSE 50053
CMD ["node", "apps/vm-runner/src/main.ts"]

# The web console: its front end bundled here by Vite (a dependency of the console, so --omit=dev keeps it).
FROM runtime AS console
COPY --from=app /app/ /app/
RUN node apps/console/src/build.ts && chown -R jobmesh:jobmesh apps/console/dist
USER jobmesh
EXPOSE 8080
CMD ["node", "apps/console/src/main.ts"]
