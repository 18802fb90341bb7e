// Acceptance client for Switchboard's CometD endpoint, using the real
// `cometd` JavaScript library in Node through `cometd-nodejs-client`.
//
//   node client.mjs <notifications URL> <user> <token> <channel>
//
// Leaves the default transports (WebSocket first) so the fallback to
// long-polling is exercised too. Prints, one per line:
//   transport <name>          after the handshake succeeded
//   subscribed                once the subscription is acknowledged: the
//                             test now triggers the message
//   message <JSON>            the first message received on <channel>
// then disconnects and exits 0. Exits 1 on failure or after 20 s.
import { adapt } from "cometd-nodejs-client";
import { CometD } from "cometd";

const [url, user, token, channel] = process.argv.slice(2);
if (!url || !user || !token || !channel) {
    console.error("usage: node client.mjs <url> <user> <token> <channel>");
    process.exit(2);
}

adapt();
const cometd = new CometD();
cometd.configure({
    url,
    requestHeaders: { Authorization: "Basic " + Buffer.from(`${user}:${token}`).toString("base64") },
    logLevel: "warn",
});

const timer = setTimeout(() => {
    console.error("timed out");
    process.exit(1);
}, 20000);

cometd.handshake((reply) => {
    // The first attempt over WebSocket fails by design; the client retries
    // with long-polling and calls back again.
    if (!reply.successful) {
        console.error("handshake attempt failed: " + JSON.stringify(reply.error ?? reply.failure?.reason ?? reply));
        return;
    }
    console.log("transport " + cometd.getTransport().type);
    cometd.subscribe(channel, (message) => {
        console.log("message " + JSON.stringify(message));
        clearTimeout(timer);
        cometd.disconnect(() => process.exit(0));
        // Do not wait for the disconnect reply longer than needed.
        setTimeout(() => process.exit(0), 2000);
    }, (subscribed) => {
        if (subscribed.successful) {
            console.log("subscribed");
        } else {
            console.error("subscribe failed: " + JSON.stringify(subscribed));
            process.exit(1);
        }
    });
});
