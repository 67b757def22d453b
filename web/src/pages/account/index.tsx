// The account area: the signed-in user's own password and personal API tokens.
import { useAuth } from "../../auth";
import { useT } from "../../i18n";
import { messages } from "./messages";
import { PasswordForm } from "./PasswordForm";
import { Tokens } from "./Tokens";

export default function AccountPage() {
  const t = useT(messages);
  const { me } = useAuth();
  return (
    <>
      <h1>{t("title")}</h1>
      {me && <p>{t("signedInAs", { name: me.username })}</p>}
      <PasswordForm />
      <Tokens />
    </>
  );
}
