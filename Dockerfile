# One image for the three services; the command picks which one runs.
# Build:  docker build -t numeter .
# Run:    docker run numeter storage | webapp | poller
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm install, not npm ci: npm 11 leaves optional platform packages (biome) out of the lock and ci refuses it.
RUN npm install --no-audit --no-fund
COPY tsconfig.json ./
COPY common ./common
COPY services ./services
COPY bench ./bench
COPY deploy ./deploy
# the server, then the webapp's browser client (its own tsconfig), then drop the dev dependencies
RUN npm run build \
 && if [ -f services/webapp/tsconfig.client.json ]; then npx tsc -p services/webapp/tsconfig.client.json; fi \
 && npm prune --omit=dev

FROM node:20-bookworm-slim
# fonts for server-side PNG export; ping for the netlatency module
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core iputils-ping libvirt-clients \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system numeter && useradd --system --gid numeter --home /var/lib/numeter numeter \
 && mkdir -p /var/lib/numeter/wsps /var/lib/numeter/poller /etc/numeter \
 && chown -R numeter:numeter /var/lib/numeter
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
COPY services/webapp/public ./services/webapp/public
COPY deploy/docker/entrypoint.sh /usr/local/bin/numeter
USER numeter
ENTRYPOINT ["/usr/local/bin/numeter"]
CMD ["storage"]
