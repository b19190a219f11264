// Node.js 20 behind an egress proxy (22.21 and 24.5 or later: NODE_USE_ENV_PROXY=1 does it). Run once,
// before the first login: every https request that picks no agent of its own then goes through the proxy.
import https from "node:https";
import { HttpsProxyAgent } from "https-proxy-agent";

https.globalAgent = new HttpsProxyAgent(process.env.HTTPS_PROXY, { keepAlive: true });
