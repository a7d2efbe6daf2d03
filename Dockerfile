# syntax=docker/dockerfile:1
# The training image: the Cloud Run job runs `pitwall train` (terraform/job.tf).
# Built by Cloud Build (cloudbuild.yaml) or by hand:
#   docker build -t REGION-docker.pkg.dev/PROJECT/pitwall/train:TAG .

FROM node:22-bookworm-slim AS build
WORKDIR /app
# node-gyp's toolchain, in case @tensorflow/tfjs-node must build its binding from source.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Without scripts: "prepare" would build before the sources are copied. tfjs-node's own
# install (it downloads libtensorflow) then runs alone, and is required here: the job trains
# on the native backend.
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && npm rebuild @tensorflow/tfjs-node \
 && node -e "require('@tensorflow/tfjs-node')"
# The sources (.dockerignore keeps out node_modules, dist, data, tests and infrastructure).
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    PITWALL_ENV=production \
    LOG_FORMAT=json
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Local caches (data/) must be writable by the unprivileged user.
RUN mkdir -p data && chown node:node data
USER node
ENTRYPOINT ["node", "dist/shared/cli/main.js"]
CMD ["train"]
