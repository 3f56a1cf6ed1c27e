# One image for every jobmesh service; docker-compose.yml picks the entry point.
# Node 24 LTS, the same version package.json pins through the npm package `node`.
FROM node:24.21.0-bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      git ca-certificates qemu-system-x86 qemu-utils linux-image-amd64 busybox-static genisoimage e2fsprogs cpio xz-utils kmod \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json nx.json buf.yaml buf.gen.yaml tsconfig.base.json tsconfig.json ./
COPY apps/ apps/
COPY libs/ libs/
COPY tools/ tools/
COPY proto/ proto/
COPY third_party/ third_party/
COPY migrations/ migrations/
RUN npm ci --no-audit --no-fund && npm run generate --silent
ENV JOBMESH_DATA_DIR=/data
