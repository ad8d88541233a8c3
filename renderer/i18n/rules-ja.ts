// Renderer: the detection rules' titles, explanations and remediation steps in Japanese, by rule id (stage titles are
// in the catalogs, findings.stage). The English is
// the rule's own text (main/detect/rules), which findings carry; technical terms (cmdlet, permission and header
// names, error codes, ATT&CK ids) stay as they are — test/unit/i18n-rules.test.ts checks each one survives.
export interface RuleText {
  title: string;
  explanation: string;
  step: string;
}

export const RULES_JA: Record<string, RuleText> = {
  'signin.credential-stuffing': {
    title: 'クレデンシャルスタッフィング: 1 つのアドレスから多数のアカウントへ、その後に成功',
    explanation:
      '1 つの IP アドレスが多数のアカウントにパスワードを試し、ほとんどが失敗した後（50126 パスワード誤り、50053 ロック、50034 ユーザーなし、50076/50079 MFA 必須）、少なくとも 1 つのアカウントでサインインに成功しています。漏えいしたパスワードの一覧を再利用する攻撃です。成功したアカウントはすべて侵害されており、MFA を求められたアカウントはパスワードを言い当てられています。',
    step: 'そのアドレスからサインインしたすべてのアカウントのパスワードをリセットし、セッションを取り消し（revokeSignInSessions）、MFA を必須にします。さらに、そのアドレスをネームド ロケーションでブロックします。',
  },
  'signin.password-spray': {
    title: 'パスワードスプレー: 1 つのアドレスが多数のアカウントで失敗',
    explanation:
      '1 つの IP アドレスが多数の異なるアカウントへのサインインに失敗し、そのアドレスからのサインイン成功はありません。侵害が確認されたアカウントはありませんが、MFA の要求やロックアウトで終わった試行のアカウントは、パスワードを言い当てられたか、集中的に狙われています。',
    step: 'そのアドレスをネームド ロケーションでブロックし、狙われたアカウントに弱いパスワードがないか確認して、すべてのアカウントで MFA が強制されていることを確かめます。',
  },
  'identity.privileged-no-mfa': {
    title: 'MFA のない特権アカウント',
    explanation:
      '管理者のディレクトリ ロールを持つアカウントに MFA の方法が登録されていないか、パスワードだけでサインインしています。この場合、パスワードが漏えいすれば攻撃者は管理者として行動できます。今回の攻撃キャンペーンはまさにこの方法で侵入しました。',
    step: 'アカウントに MFA を登録し（またはクラウド専用の緊急アクセス用アカウントに置き換え）、パスワードをリセットしてセッションを取り消します。',
  },
  'posture.mfa-not-enforced': {
    title: '管理者に MFA が強制されていない',
    explanation:
      'セキュリティの既定値群がオフで、管理者ロールまたは全ユーザーに MFA（または認証強度）を求める有効な条件付きアクセス ポリシーがありません。正しいパスワードさえあれば、管理者としてサインインできてしまいます。',
    step: 'セキュリティの既定値群をオンにするか、すべての管理者ロールに（その後は全ユーザーに）MFA を求める条件付きアクセス ポリシーを作成します。',
  },
  'app.tenant-label-name': {
    title: 'テナント名と 3 文字から成る名前のアプリ',
    explanation:
      '攻撃キャンペーンのスクリプトは、各テナントでテナント自身のドメイン ラベル、アンダースコア、ランダムな 3 文字を組み合わせた名前でアプリを登録しました（contoso.com なら contoso_kqz）。管理者がこのような名前を付けることはまれです。ユーザーによる最近の登録や Exchange のアクセス許可と合わせて見れば、キャンペーンのアプリです。',
    step: 'アプリのサービス プリンシパルを無効化し（accountEnabled = false）、その後に資格情報を削除します。',
  },
  'app.exchange-manage-as-app': {
    title: 'アプリが Exchange.ManageAsApp を保持',
    explanation:
      'Exchange.ManageAsApp があると、アプリはユーザーなしで自身として Exchange Online PowerShell を実行できます。受信コネクタやトランスポート ルールの作成、任意のメールボックス設定の読み取りと変更が可能です。バックアップ製品やアーカイブ製品は正当に保持しますが、最近登録されたシングルテナント アプリが保持している場合、特に管理者ロールと組み合わさっている場合は、キャンペーンがメール フローを乗っ取った手口そのものです。',
    step: 'サービス プリンシパルから Exchange.ManageAsApp のアプリ ロール割り当てを削除します（アプリ側の要求も削除します）。',
  },
  'sp.privileged-role': {
    title: 'サービス プリンシパルが管理者ロールを保持',
    explanation:
      'サービス プリンシパルが管理者のディレクトリ ロールのメンバーにされています。Global Administrator や Exchange Administrator に入ったアプリは、自身の資格情報だけでその権限を行使します。管理者のパスワードをリセットしても追い出せません。',
    step: '各ディレクトリ ロールからサービス プリンシパルを外し（ロール割り当てを DELETE）、新しい収集で確認します。',
  },
  'sp.high-risk-permission': {
    title: 'アプリが高リスクのアクセス許可を保持',
    explanation:
      'サービス プリンシパルが、誰のメールでも読み書き・送信できる、あるいはディレクトリやロール、アプリを変更できるアプリケーションのアクセス許可またはテナント全体の委任スコープを保持しています（full_access_as_app、Mail.ReadWrite、Mail.Send、Directory.ReadWrite.All、RoleManagement.ReadWrite.Directory、AppRoleAssignment.ReadWrite.All など）。いずれも、アプリの資格情報を持つ者にとってテナントへの常設の入り口になります。',
    step: 'アプリに不要なアプリ ロール割り当てとテナント全体の許可を削除します（所有者がいなければアプリ自体を削除します）。',
  },
  'app.credential-added': {
    title: 'アプリに資格情報が追加された',
    explanation:
      'アプリケーションまたはサービス プリンシパルにクライアント シークレットか証明書が追加されています。追加した者は、どのユーザーのパスワードもなしに、どこからでもアプリとしてサインインできます。キャンペーンは同意の数分後に、侵害された管理者の手で自身の資格情報を追加しました。長く使われている製品のシークレットを所有者が定期的に更新する場合は様子が異なります（古いアプリ、ずっと前の同意、いつもの管理者）。',
    step: '誰も説明できない資格情報を削除します（passwordCredentials は removePassword で、証明書は keyCredentials の PATCH で）。',
  },
  'consent.risky-user-consent': {
    title: 'ユーザーがメールやファイルを読むアプリに同意した',
    explanation:
      'ユーザーが（Microsoft 自身のものではない）アプリに、自分のメール、ファイル、連絡先への委任アクセスを許可しています。同意フィッシングはこの仕組みを使います。アプリは更新トークンを保持し、パスワードなしでメールボックスを読み続けます。既知の製品に 1 人のユーザーが同意するのは普通のことですが、他に誰も使っていない未確認のアプリに、メール ルールや転送が現れる直前に同意しているなら普通ではありません。',
    step: '委任アクセス許可の付与を削除し（アプリが不明ならサービス プリンシパルも削除）、ユーザーのセッションを取り消します。',
  },
  'exchange.suspicious-inbound-connector': {
    title: '想定外のアドレスから中継する受信コネクタ',
    explanation:
      '受信コネクタは、指定した送信元 IP アドレスからのメールを組織自身のサーバーからのものとして受け入れるよう Exchange Online に指示します。キャンペーンのアプリは Ran_ に 5 文字を付けた名前のコネクタをスパム送信者のアドレスで作成し、テナント経由でスパムを中継しました。アプリが作成したコネクタや、誰も記録していない送信元アドレスを持つコネクタはこのように見えます。管理センターで設定され、アドレスが記録されているパートナーやゲートウェイのコネクタは該当しません。',
    step: 'そのコネクタに Remove-InboundConnector を実行し、同じアプリによる New-InboundConnector を Unified Audit Log で監視し続けます。',
  },
  'exchange.header-stripping-rule': {
    title: '認証ヘッダーやスパム対策ヘッダーを削除するトランスポート ルール',
    explanation:
      '認証、スパム対策、送信元を示すヘッダー（Authentication-Results、Received-SPF、DKIM-Signature、ARC-*、X-MS-Exchange-SkipListedInternetSender など）を削除する RemoveHeader アクションを持つメール フロー（トランスポート）ルールです。キャンペーンは Test01 から Test012 までの 12 個を、1 つにつきヘッダー 1 つずつ作成し、中継したスパムをきれいな社内メールに見せかけました。免責事項、ジャーナル、タグ付けのルールはこれらのヘッダーを削除しません。',
    step: '一覧の各ルールに Remove-TransportRule を実行し、RemoveHeader を含む New-TransportRule を Unified Audit Log で監視し続けます。',
  },
  'exchange.config-cycle': {
    title: 'メール フローのオブジェクトが作成・削除・再作成された',
    explanation:
      'Unified Audit Log に、同じ実行者が受信コネクタやトランスポート ルールを作成し、削除し、再び作成した記録があります。キャンペーンはスパム送信のたびにコネクタとルールを削除し、数週間から数か月後に再作成しました。そのため、今日の構成がきれいでも何の証明にもならず、証拠になるのは監査履歴です。アプリによる変更（アプリのみの Exchange PowerShell）は決して日常の管理作業ではありません。',
    step: 'アプリとそのオブジェクトを削除した後に再度収集し、同じ実行者による New-InboundConnector / New-TransportRule を Unified Audit Log で監視し続けます。',
  },
  'mail.external-forwarding': {
    title: '組織外へのメール転送',
    explanation:
      'メールボックスがメールを転送している（ForwardingSmtpAddress）、受信トレイ ルールがメッセージを転送またはリダイレクトしている、あるいはトランスポート ルールがメールをコピーしている転送先が、テナントのドメイン外のアドレスです。攻撃者はアクセスを失った後もメールを読み続けるためにこれを設定します。個人のアカウントに送るために利用者が設定することもありますが、データが漏れることに変わりはありません。',
    step: 'メールボックスの所有者に確認した上で、転送を解除する（Set-Mailbox -ForwardingSmtpAddress $null）か、受信トレイ ルールを削除します。',
  },
  'identity.auth-method-added': {
    title: '乗っ取られたアカウントまたは特権アカウントにサインイン方法が追加された',
    explanation:
      'スタッフィングで乗っ取られたアカウントに、攻撃者が初めてサインインした後で、あるいは管理者のアカウントに、セキュリティ情報の方法（認証アプリ、電話、FIDO2 キー、一時アクセス パス）が登録または変更されています。攻撃者が登録した方法はパスワードのリセット後も残るため、復旧の手順で削除しなければなりません。',
    step: 'アカウントの所有者と認証方法を確認し、本人が登録していない方法をすべて削除してから、再登録を求めます。',
  },
  'app.owner-added': {
    title: 'アプリに所有者が追加された',
    explanation:
      'ユーザーまたはサービス プリンシパルが、アプリケーションまたはサービス プリンシパルの所有者にされています。所有者はいつでもアプリに資格情報を追加できるため、顧客が知らない所有者は、攻撃者自身の資格情報を削除した後でも、もう 1 つの戻り道になります。',
    step: '誰も説明できない所有者を削除します（DELETE /applications/{id}/owners/{owner}/$ref、サービス プリンシパルにも同様に）。',
  },
  'exchange.app-role-assignment': {
    title: 'アプリへの、または偽装のための Exchange ロール割り当て',
    explanation:
      'Exchange の管理ロールがサービス プリンシパルに割り当てられている（アプリケーション向け Exchange RBAC: New-ServicePrincipal の後に New-ManagementRoleAssignment -App）、または誰かに ApplicationImpersonation が割り当てられています。これにより、アプリは Exchange.ManageAsApp も Entra のロールもなしに Exchange の権限を持つため、それらを削除するだけでは残ってしまいます。',
    step: '各割り当てに Remove-ManagementRoleAssignment を実行し、所有者のいないアプリのプリンシパルには Remove-ServicePrincipal を実行します。',
  },
  'audit.logging-disabled': {
    title: '監査ログがオフにされた',
    explanation:
      '誰かが管理者監査ログや Unified Audit Log の取り込みをオフにした、組織またはメールボックスのメールボックス監査を無効にした、あるいは収集した設定でそれらがオフになっています。監査がオフだと、次の New-InboundConnector やトランスポート ルールは記録を残さず、この調査が読み取っている作成と削除の繰り返しが見えなくなります。',
    step: '監査を再びオンにし、取り込みが再開したことを次の収集で確かめます（Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true、Set-OrganizationConfig -AuditDisabled $false）。',
  },
  'audit.mailbox-audit-bypass': {
    title: 'アカウントがメールボックス監査の対象外にされた',
    explanation:
      '監査ログまたは収集した設定で、アカウントがメールボックス監査の対象外にされています（Set-MailboxAuditBypassAssociation -AuditBypassEnabled $true）。そのアカウントがメールボックスで行うことは、メールボックス監査の記録を残しません。設定時に対象外にされたアーカイブやジャーナリングのサービス アカウントは普通のことです。インシデントの最中に設定された、あるいはその前後に設定されて再び解除された対象外設定は、何が読まれたかを隠します。',
    step: '誰も説明できない対象外設定を削除します（Set-MailboxAuditBypassAssociation -Identity <account> -AuditBypassEnabled $false）。',
  },
  'mail.app-mailbox-access': {
    title: '検出対象のアプリがメールを読んだ',
    explanation:
      'MailItemsAccessed の記録に、重大度の高い検出結果に含まれるアプリがメールボックスを読んだことが示されています（Graph または EWS、アプリのみまたはユーザーの代理）。「メールを読めた」と「実際に読んだ」の違いがここにあります。一覧のメールボックスは通知の対象範囲です。',
    step: 'アプリのサービス プリンシパルを無効化し、顧客の通知判断のために、読まれたメールボックスと期間を一覧にします。',
  },
  'signin.token-refresh-from-attacker': {
    title: '乗っ取られたアカウントのセッションが攻撃者のアドレスから維持された',
    explanation:
      'パスワードの総当たりやスプレーを行ったアドレスからアカウントがサインインした後、同じアドレスからユーザーの操作なしにトークンが更新されています（非対話型サインイン）。攻撃者はリフレッシュ トークンを持っています。パスワードのリセットだけでは終わらず、アカウントのセッションの取り消しで終わります。',
    step: 'パスワードのリセット後にアカウントのセッションを取り消し（revokeSignInSessions）、そのアドレスをブロックします。',
  },
  'app.credential-use-unknown-range': {
    title: 'テナントの既知の範囲外からアプリの資格情報が使われた',
    explanation:
      'テナントのアプリが自身のシークレットまたは証明書でサインインしました（サービス プリンシパルのサインイン）。そのネットワークはテナントの誰もサインインに使っておらず、アプリ自身も日々使っていたものではありません。バックアップやアーカイブの製品は、ベンダーが公開している範囲から毎日サインインします。キャンペーンのアプリは攻撃者のホストから、まず資格情報が追加されてから数時間以内に、その後は Exchange の設定のたびにサインインします。資格情報の追加後の最初の使用が、攻撃者が使い始めた時刻を示します。',
    step: 'サービス プリンシパルを無効化し、使われた資格情報（servicePrincipalCredentialKeyId）を削除して、そのアドレスをブロックします。',
  },
  'app.deleted-recreated': {
    title: 'アプリが削除され、同じ名前で再登録された',
    explanation:
      'ディレクトリの削除済みアイテム（30 日間復元可能）にあるアプリケーションと同じ名前のアプリケーションが、その削除の後に登録されています。キャンペーンのスクリプトは自分の痕跡を削除しては作り直しました。整理のために人が削除したアプリは、何にも置き換えられません。削除されたコピーには、最初の登録が持っていたものと存在した期間が残っています。',
    step: '削除されたコピーは削除したままにし（30 日後に自動で完全に削除されます。復元の方法を記録します）、現存するアプリは他の検出結果のとおりに対処します。',
  },
  'storyline.oauth-mail-abuse': {
    title: 'OAuth を悪用したメール攻撃キャンペーンの全体像',
    explanation:
      'Microsoft が説明したキャンペーンのとおりに検出結果を 1 本の流れにつないだものです。クレデンシャルスタッフィングで乗っ取られたアカウントがアプリを登録し、Exchange.ManageAsApp に同意し、管理者にし、自身の資格情報を追加します。その後アプリは受信コネクタとヘッダーを削除するトランスポート ルールを作成し、スパム送信の合間に削除と再作成を繰り返します。各段階には、それを示す証拠が付いています。',
    step: 'チェックリストを順に進めます。まずアプリのサービス プリンシパルを無効化して資格情報を削除し、次にロール、同意、コネクタ、ルールを削除し、最後にアカウントをリセットして保護します。',
  },
};

