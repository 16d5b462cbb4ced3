import { createBrowserRouter } from "react-router";
import { LoginPage } from "../features/auth/LoginPage";
import { Loading } from "../components/states";
import { RequireSession, SetupGate } from "./gates";
import { NotFoundPage, RouteError } from "./RouteError";
import { Shell } from "./Shell";

// Pages load when first visited: the login page does not carry the dashboard's code.
export const router = createBrowserRouter([
  {
    element: <SetupGate />,
    errorElement: <RouteError />,
    hydrateFallbackElement: <Loading />,
    children: [
      // Setup is shown once in bangui's life: its form controls stay out of the main chunk.
      { path: "/setup", lazy: () => import("../features/auth/SetupPage").then((m) => ({ Component: m.SetupPage })) },
      { path: "/login", element: <LoginPage /> },
      {
        element: <RequireSession />,
        children: [
          {
            element: <Shell />,
            errorElement: <RouteError />,
            children: [
              { index: true, lazy: () => import("../features/dashboard/DashboardPage").then((m) => ({ Component: m.DashboardPage })) },
              { path: "jails", lazy: () => import("../features/jails/JailsPage").then((m) => ({ Component: m.JailsPage })) },
              { path: "blocklists", lazy: () => import("../features/blocklists/BlocklistsPage").then((m) => ({ Component: m.BlocklistsPage })) },
              { path: "audit", lazy: () => import("../features/audit/AuditPage").then((m) => ({ Component: m.AuditPage })) },
              { path: "map", lazy: () => import("../features/map/MapPage").then((m) => ({ Component: m.MapPage })) },
              { path: "history", lazy: () => import("../features/history/HistoryPage").then((m) => ({ Component: m.HistoryPage })) },
              { path: "history/:ip", lazy: () => import("../features/history/AddressPage").then((m) => ({ Component: m.AddressPage })) },
              { path: "config", lazy: () => import("../features/config/ConfigPage").then((m) => ({ Component: m.ConfigPage })) },
              { path: "jails/:name", lazy: () => import("../features/jails/JailDetailPage").then((m) => ({ Component: m.JailDetailPage })) },
              { path: "*", element: <NotFoundPage /> },
            ],
          },
        ],
      },
    ],
  },
]);
