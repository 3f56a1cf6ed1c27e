# One image for every jobmesh service; the compose file picks the entry point.
FROM node:24.21.0-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/ apps/
COPY libs/ libs/
COPY tools/ tools/
COPY proto/ proto/
COPY third_party/ third_party/
COPY migrations/ migrations/
COPY buf.yaml buf.gen.yaml nx.json tsconfig.base.json tsconfig.json ./
RUN npm ci --no-audit --no-fund && npm run generate --silent
ENV NODE_ENV=production
