// The frame of every page behind login: header (menu, live indicator, theme, logout),
// sidebar navigation (a drawer below 640 px), the fail2ban-offline banner and the footer.
import { Suspense, useState } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router";
import {
  Badge,
  Button,
  Drawer,
  DrawerBody,
  DrawerHeader,
  DrawerHeaderTitle,
  Menu,
  MenuItemRadio,
  MenuList,
  MenuPopover,
  MenuTrigger,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Tooltip,
  makeStyles,
  mergeClasses,
  tokens,
} from "@fluentui/react-components";
import {
  BoardRegular,
  DarkThemeRegular,
  DismissRegular,
  GlobeRegular,
  HistoryRegular,
  LockClosedRegular,
  NavigationRegular,
  ShieldRegular,
  SignOutRegular,
  DocumentBulletListRegular,
  SettingsRegular,
  TextBulletListSquareRegular,
} from "@fluentui/react-icons";
import { Loading } from "../components/states";
import { useLogout } from "../features/auth/api";
import { useFail2banStatus } from "../features/dashboard/api";
import { LiveEvents, useLiveState } from "../features/live/live";
import { useSessionInfo } from "./gates";
import { useMediaQuery, useTheme, type ThemeChoice } from "./theme";

export const PHONE = "(max-width: 639px)";

interface NavItem {
  to: string;
  label: string;
  icon: React.ReactElement;
  end?: boolean;
}

export const NAV: NavItem[] = [
  { to: "/", label: "Dashboard", icon: <BoardRegular />, end: true },
  { to: "/map", label: "World map", icon: <GlobeRegular /> },
  { to: "/jails", label: "Jails", icon: <LockClosedRegular /> },
  { to: "/history", label: "History", icon: <HistoryRegular /> },
  { to: "/blocklists", label: "Blocklists", icon: <ShieldRegular /> },
  { to: "/config", label: "Configuration", icon: <SettingsRegular /> },
  { to: "/audit", label: "Audit", icon: <DocumentBulletListRegular /> },
];

const useStyles = makeStyles({
  root: { minHeight: "100vh", display: "grid", gridTemplateRows: "auto 1fr auto", backgroundColor: tokens.colorNeutralBackground2 },
  header: {
    display: "flex",
    alignItems: "center",
    gap: tokens.spacingHorizontalS,
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalL}`,
    backgroundColor: tokens.colorNeutralBackground1,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
  },
  brand: { fontWeight: tokens.fontWeightSemibold, fontSize: tokens.fontSizeBase500, marginRight: "auto", color: tokens.colorNeutralForeground1, textDecoration: "none" },
  body: { display: "grid", gridTemplateColumns: "220px 1fr", minWidth: 0, "@media (max-width: 639px)": { gridTemplateColumns: "1fr" } },
  sidebar: {
    backgroundColor: tokens.colorNeutralBackground1,
    borderRight: `1px solid ${tokens.colorNeutralStroke2}`,
    padding: tokens.spacingVerticalM,
    "@media (max-width: 639px)": { display: "none" },
  },
  navList: { listStyleType: "none", margin: 0, padding: 0, display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXXS },
  navLink: {
    display: "flex",
    alignItems: "center",
    gap: tokens.spacingHorizontalS,
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalM}`,
    borderRadius: tokens.borderRadiusMedium,
    color: tokens.colorNeutralForeground2,
    textDecoration: "none",
    fontSize: tokens.fontSizeBase300,
    ":hover": { backgroundColor: tokens.colorNeutralBackground1Hover, color: tokens.colorNeutralForeground1 },
    ":focus-visible": { outline: `2px solid ${tokens.colorStrokeFocus2}`, outlineOffset: "-2px" },
  },
  navActive: { backgroundColor: tokens.colorBrandBackground2, color: tokens.colorBrandForeground2, fontWeight: tokens.fontWeightSemibold },
  main: { padding: tokens.spacingHorizontalXL, minWidth: 0, "@media (max-width: 639px)": { padding: tokens.spacingHorizontalM } },
  banner: { marginBottom: tokens.spacingVerticalL },
  footer: {
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalL}`,
    color: tokens.colorNeutralForeground2,
    fontSize: tokens.fontSizeBase200,
    backgroundColor: tokens.colorNeutralBackground1,
    borderTop: `1px solid ${tokens.colorNeutralStroke2}`,
  },
});

function Navigation({ onNavigate }: { onNavigate?: () => void }) {
  const s = useStyles();
  return (
    <nav aria-label="Main">
      <ul className={s.navList}>
        {NAV.map((item) => (
          <li key={item.to}>
            <NavLink
              to={item.to}
              end={item.end ?? false}
              onClick={onNavigate}
              className={({ isActive }) => mergeClasses(s.navLink, isActive && s.navActive)}
            >
              {item.icon}
              {item.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function LiveIndicator() {
  const state = useLiveState();
  const label = { live: "Live", connecting: "Connecting…", reconnecting: "Reconnecting…" }[state];
  return (
    <Badge
      appearance="tint"
      color={state === "live" ? "success" : "warning"}
      role="status"
      aria-label={state === "live" ? "Live updates on" : `Live updates: ${label}`}
    >
      {label}
    </Badge>
  );
}

function ThemeMenu() {
  const { choice, setChoice } = useTheme();
  return (
    <Menu checkedValues={{ theme: [choice] }} onCheckedValueChange={(_, d) => setChoice(d.checkedItems[0] as ThemeChoice)}>
      <MenuTrigger disableButtonEnhancement>
        <Tooltip content="Theme" relationship="label">
          <Button appearance="subtle" icon={<DarkThemeRegular />} />
        </Tooltip>
      </MenuTrigger>
      <MenuPopover>
        <MenuList>
          <MenuItemRadio name="theme" value="system">
            Follow the system
          </MenuItemRadio>
          <MenuItemRadio name="theme" value="light">
            Light
          </MenuItemRadio>
          <MenuItemRadio name="theme" value="dark">
            Dark
          </MenuItemRadio>
        </MenuList>
      </MenuPopover>
    </Menu>
  );
}

function Fail2banBanner() {
  const s = useStyles();
  const status = useFail2banStatus();
  if (!status.data || status.data.online) return null;
  return (
    <MessageBar intent="error" className={s.banner} role="alert">
      <MessageBarBody>
        <MessageBarTitle>fail2ban is offline</MessageBarTitle>
        bangui cannot reach fail2ban{status.data.error ? ` (${status.data.error})` : ""}. Counters and lists show the last known state;
        changes fail until it is back.
      </MessageBarBody>
    </MessageBar>
  );
}

function Footer() {
  const s = useStyles();
  const session = useSessionInfo();
  const status = useFail2banStatus();
  const f2b = status.data?.version ? ` · fail2ban ${status.data.version}` : "";
  return (
    <footer className={s.footer}>
      bangui {session.version}
      {f2b} · times in {session.timezone ?? "UTC (the setup time zone cannot be read now)"}
    </footer>
  );
}

export function Shell() {
  const s = useStyles();
  const phone = useMediaQuery(PHONE);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const logout = useLogout();
  const navigate = useNavigate();
  const location = useLocation();

  return (
    <LiveEvents>
      <div className={s.root}>
        <header className={s.header}>
          {phone && (
            <Button appearance="subtle" icon={<NavigationRegular />} aria-label="Open navigation" aria-expanded={drawerOpen} onClick={() => setDrawerOpen(true)} />
          )}
          <NavLink to="/" className={s.brand}>
            <TextBulletListSquareRegular aria-hidden /> bangui
          </NavLink>
          <LiveIndicator />
          <ThemeMenu />
          <Button
            appearance="subtle"
            icon={<SignOutRegular />}
            disabled={logout.isPending}
            onClick={() => logout.mutate(undefined, { onSettled: () => navigate("/login", { replace: true }) })}
          >
            Log out
          </Button>
        </header>
        {phone && (
          <Drawer type="overlay" open={drawerOpen} onOpenChange={(_, d) => setDrawerOpen(d.open)}>
            <DrawerHeader>
              <DrawerHeaderTitle action={<Button appearance="subtle" aria-label="Close navigation" icon={<DismissRegular />} onClick={() => setDrawerOpen(false)} />}>
                bangui
              </DrawerHeaderTitle>
            </DrawerHeader>
            <DrawerBody>
              <Navigation onNavigate={() => setDrawerOpen(false)} />
            </DrawerBody>
          </Drawer>
        )}
        <div className={s.body}>
          <aside className={s.sidebar}>{!phone && <Navigation />}</aside>
          <main className={s.main} key={location.pathname.split("/")[1]}>
            <Fail2banBanner />
            <Suspense fallback={<Loading />}>
              <Outlet />
            </Suspense>
          </main>
        </div>
        <Footer />
      </div>
    </LiveEvents>
  );
}
