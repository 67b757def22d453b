import { type FormEvent, useState } from "react";

import { useAuth } from "../auth";
import { defineMessages, useT } from "../i18n";
import { ErrorNote } from "../ui/ErrorNote";
import { LanguageSelect } from "../ui/LanguageSelect";

const messages = defineMessages({
  en: {
    title: "Sign in to QuickOn",
    username: "Username",
    password: "Password",
    logIn: "Log in",
    loggingIn: "Logging in…",
    firstTime: "First time? The admin's password was printed by `make up` (or set with QC_ADMIN_PASSWORD).",
  },
  "zh-CN": {
    title: "登录 QuickOn",
    username: "用户名",
    password: "密码",
    logIn: "登录",
    loggingIn: "正在登录…",
    firstTime: "第一次使用？管理员密码由 `make up` 打印（或用 QC_ADMIN_PASSWORD 设置）。",
  },
});

export function Login() {
  const t = useT(messages);
  const { logIn } = useAuth();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await logIn(username, password);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">{t("title")}</h1>
        <label>
          {t("username")}
          <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
        </label>
        <label>
          {t("password")}
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {busy ? t("loggingIn") : t("logIn")}
        </button>
        <p className="hint">{t("firstTime")}</p>
        <LanguageSelect />
      </form>
    </main>
  );
}
