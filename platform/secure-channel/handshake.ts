// The authenticated key exchange of the end-to-end channel (issue 2): the
// engineer (initiator) proves a vendor-certified key, the agent (responder)
// its device key; ephemeral X25519 gives forward secrecy; every byte
// exchanged, offered versions included, is bound into the signatures and the
// keys through the transcript hash. See docs/protocol.md, "End-to-end channel".
//
// Engineer: start() -> init;  onResponse(response) -> finish + result.
// Agent:    onInit(init) -> response;  onFinish(finish) -> result.
export { type HandshakeResult } from './handshake-common';
export { InitiatorHandshake } from './initiator-handshake';
export { ResponderHandshake } from './responder-handshake';
