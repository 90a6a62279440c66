import { loadDevMessages, loadErrorMessages } from "@apollo/client/dev";
import { ApolloProvider } from "@apollo/client/react";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { createGatewayClient } from "./apollo";
import "./style.css";

if (import.meta.env.DEV) {
  // Apollo's warnings in full instead of a link to its error decoder.
  loadDevMessages();
  loadErrorMessages();
}

const gatewayUrl = document.querySelector<HTMLMetaElement>('meta[name="gateway-url"]')?.content;
const root = document.getElementById("root");
if (root === null) {
  throw new Error("index.html has no #root element.");
}
if (gatewayUrl === undefined || gatewayUrl === "") {
  root.textContent =
    "No gateway URL: start the dashboard with `npm run dashboard`, which fills it in.";
} else {
  const gateway = createGatewayClient(gatewayUrl);
  createRoot(root).render(
    <StrictMode>
      <ApolloProvider client={gateway.client}>
        <App live={gateway.live} />
      </ApolloProvider>
    </StrictMode>,
  );
}
