//! [`OutboxMailer`]: account e-mails written as files to an outbox folder,
//! for the operator's mail relay to pick up (or a developer to open). The
//! log line says to whom, what and where, never the body, which holds a
//! token.

use async_trait::async_trait;
use herald_application::accounts::ports::{Mail, MailError, Mailer};
use std::io::Write;
use std::path::PathBuf;
use tracing::info;

pub struct OutboxMailer {
    dir: PathBuf,
}

impl OutboxMailer {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let dir = self.dir.clone();
        let name = format!("{}.eml", uuid::Uuid::now_v7());
        let text = format!(
            "To: {}\r\nSubject: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}",
            mail.to, mail.subject, mail.body
        );
        let path = dir.join(&name);
        let written = path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options.open(&written)?.write_all(text.as_bytes())
        })
        .await
        .map_err(|e| MailError(e.to_string()))?
        .map_err(|e| MailError(format!("{}: {e}", path.display())))?;
        info!(to = %mail.to, subject = %mail.subject, file = %path.display(), "account e-mail written to the outbox");
        Ok(())
    }
}
