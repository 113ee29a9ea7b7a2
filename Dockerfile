# One image for the batch, speed and query layer services and the CLIs (docker-compose.yml picks
# the entry point). The services run from the TypeScript sources, as `npm run <service>` does.

FROM node:20-bookworm AS build
# pip fetches the tensorflow-cpu wheel; node:20-bookworm already has python3, make and g++ for node-gyp.
RUN apt-get update && apt-get install -y --no-install-recommends python3-pip && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: @tensorflow/tfjs-node's would download libtensorflow from a host builds cannot
# reach (package.json's allowScripts denies it too).
RUN npm ci --ignore-scripts
COPY . .
# The equivalent of infra/tensorflow/provision-tfjs-node.sh on a dev box, and in fact that script:
# libtensorflow 2.15.1 from the tensorflow-cpu wheel on PyPI, the N-API addon built with node-gyp
# against this image's Node headers, then the load + matMul check. Cached inside the image.
ENV PLATFORM_CACHE_DIR=/app/.cache/lambda-platform NODEDIR=/usr/local
RUN bash infra/tensorflow/provision-tfjs-node.sh

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
# NODE_OPTIONS: the young generation scripts/run-ts.sh gives node, and why, is explained there.
ENV NODE_ENV=production TS_NODE_PROJECT=tsconfig.base.json PLATFORM_CACHE_DIR=/app/.cache/lambda-platform \
    NODE_OPTIONS=--max-semi-space-size=64 \
    HTTP_HOST=0.0.0.0 MODEL_STORE_DIR=/var/lib/platform/model-store API_KEYS_FILE=/var/lib/platform/api-keys.json
RUN mkdir -p /var/lib/platform && chown node:node /var/lib/platform
USER node
ENTRYPOINT ["node", "-r", "@swc-node/register"]
CMD ["apps/query-layer/src/main.ts"]
