import { FluentProvider, RendererProvider, createDOMRenderer, webDarkTheme, webLightTheme, Toaster } from "@fluentui/react-components";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "react-router";
import { ApiError } from "../api/client";
import { keys } from "../api/keys";
import { TOASTER } from "../components/notify";
import { router } from "./router";
import { ThemeProvider, useTheme } from "./theme";
import { styleNonce } from "../lib/cspNonce";

function retry(failures: number, error: unknown): boolean {
  // A refusal will not change by asking again; an unreachable server or dependency may.
  if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429) return false;
  return failures < 2;
}

export function createQueryClient(): QueryClient {
  // Any 401 means the session ended (logout elsewhere, expiry): the gate sends to login.
  const onError = (error: unknown) => {
    if (error instanceof ApiError && error.status === 401) void client.invalidateQueries({ queryKey: keys.session });
  };
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: { queries: { retry, staleTime: 10_000, refetchOnWindowFocus: true } },
  });
  return client;
}

const queryClient = createQueryClient();

// Every <style> Fluent writes carries the page's nonce.
const nonce = styleNonce();
const renderer = createDOMRenderer(document, nonce ? { styleElementAttributes: { nonce } } : {});

function Themed() {
  const { dark } = useTheme();
  return (
    <FluentProvider theme={dark ? webDarkTheme : webLightTheme} style={{ minHeight: "100vh" }}>
      <RouterProvider router={router} />
      <Toaster toasterId={TOASTER} position="bottom-end" />
    </FluentProvider>
  );
}

export function App() {
  return (
    <RendererProvider renderer={renderer} targetDocument={document}>
      <QueryClientProvider client={queryClient}>
        <ThemeProvider>
          <Themed />
        </ThemeProvider>
      </QueryClientProvider>
    </RendererProvider>
  );
}
