import { createBrowserRouter } from "react-router";
import { LoginPage } from "../features/auth/LoginPage";
import { SetupPage } from "../features/auth/SetupPage";
import { RequireSession, SetupGate } from "./gates";
import { NotFoundPage, RouteError } from "./RouteError";
import { Shell } from "./Shell";

// Pages load when first visited: the login page does not carry the dashboard's code.
export const router = createBrowserRouter([
  {
    element: <SetupGate />,
    errorElement: <RouteError />,
    children: [
      { path: "/setup", element: <SetupPage /> },
      { path: "/login", element: <LoginPage /> },
      {
        element: <RequireSession />,
        children: [
          {
            element: <Shell />,
            errorElement: <RouteError />,
            children: [
              { index: true, lazy: () => import("../features/dashboard/DashboardPage").then((m) => ({ Component: m.DashboardPage })) },
              { path: "*", element: <NotFoundPage /> },
            ],
          },
        ],
      },
    ],
  },
]);
