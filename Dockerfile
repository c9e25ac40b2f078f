# One image for ipamd, the CNI plugin and its installer (DESIGN.md §1). Node 24 runs the
# TypeScript sources directly (type stripping), so there is no build stage. The CNI plugin and its
# installer come with their issue; today the image runs ipamd (default) or the emulator CLI.
# Not built in this workplace: it has no Docker engine.
FROM node:24-bookworm-slim
WORKDIR /opt/vpcwire
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY ipamd ./ipamd
COPY warm-pool ./warm-pool
COPY sim ./sim
COPY data ./data
ENTRYPOINT ["node"]
CMD ["ipamd/main.ts"]
