//! `stackpilot doctor <env>`: which backend, secrets provider, roles and
//! deploy lease this env will use, and whether each can be reached — the
//! questions a first failing run would otherwise answer one at a time.

use serde::Serialize;

use crate::backend::{self, Backend, BackendKind};
use crate::bootstrap::{lookup, Found};
use crate::commands::Context;
use crate::names::{EnvName, Layer};
use crate::project::Workspace;
use crate::{aws, lease, printer, Error, Exit};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Verdict {
    Ok,
    /// Works, but not the way a team would want it (no lease, passphrase).
    Note,
    Fail,
}

#[derive(Debug, Serialize)]
struct Check {
    subject: String,
    verdict: Verdict,
    detail: String,
}

#[derive(Debug, Serialize)]
struct DoctorReport {
    env: String,
    checks: Vec<Check>,
}

pub(crate) fn run(ctx: &Context, env: &EnvName, json: bool) -> Result<Exit, Error> {
    let runtime = crate::commands::runtime()?;
    let checks = runtime.block_on(examine(ctx, env))?;
    let failed = checks.iter().any(|c| c.verdict == Verdict::Fail);
    let report = DoctorReport {
        env: env.to_string(),
        checks,
    };
    if json {
        printer::json(&report).map_err(Error::Print)?;
    } else {
        for c in &report.checks {
            let mark = match c.verdict {
                Verdict::Ok => "ok  ",
                Verdict::Note => "note",
                Verdict::Fail => "FAIL",
            };
            printer::result_line(&format!("{mark} {}: {}", c.subject, c.detail)).map_err(Error::Print)?;
        }
    }
    Ok(if failed { Exit::Failed } else { Exit::Success })
}

async fn examine(ctx: &Context, env: &EnvName) -> Result<Vec<Check>, Error> {
    let mut checks = Vec::new();
    let mut add = |subject: &str, verdict: Verdict, detail: String| {
        checks.push(Check {
            subject: subject.to_owned(),
            verdict,
            detail,
        })
    };
    let var = &*ctx.var;
    let config = if lookup::aws_configured(var) {
        aws::sdk_config_any_region(None).await
    } else {
        None
    };
    let found: Option<Found> = match &config {
        None => {
            add(
                "AWS",
                Verdict::Note,
                "no credentials, profile, endpoint or region: only a local backend can be used".into(),
            );
            None
        }
        Some(config) => {
            add(
                "AWS",
                Verdict::Ok,
                format!(
                    "region {}, {}",
                    config.region().map(ToString::to_string).unwrap_or_default(),
                    aws::endpoint_of(config)
                ),
            );
            let stack = lookup::stack_name(var).map_err(backend::BackendError::from)?;
            match lookup::find_with(config, &stack).await {
                Ok(Some(found)) => {
                    add(
                        "bootstrap stack",
                        Verdict::Ok,
                        format!("`{stack}` (repository {})", found.outputs.github_repository),
                    );
                    Some(found)
                }
                Ok(None) => {
                    add(
                        "bootstrap stack",
                        Verdict::Note,
                        format!("`{stack}` not found; `stackpilot bootstrap` makes it"),
                    );
                    None
                }
                Err(e) => {
                    add("bootstrap stack", Verdict::Fail, e.to_string());
                    None
                }
            }
        }
    };
    let workspace = Workspace::discover(ctx.root.as_deref(), &ctx.cwd)?;
    for layer in [Layer::Base, Layer::App] {
        let Ok(project) = workspace.project(layer) else {
            continue;
        };
        let subject = format!("{layer} stack `{env}`");
        if !project.config_file(env).is_file() {
            let file = project.config_file(env);
            add(
                &subject,
                Verdict::Note,
                format!("no {}: not an env of this layer", file.display()),
            );
            continue;
        }
        let known = found.clone();
        let backend = backend::resolve(&workspace, &project, var, &|| Ok(known.clone()))?;
        let (verdict, reach) = reachable(&backend, config.as_ref()).await;
        add(
            &format!("{subject} backend"),
            verdict,
            format!("{} (from {}){reach}", backend.redacted(), backend.origin_name()),
        );
        let secrets = match project.stack_config(env) {
            Ok(stack_config) => secrets_check(&backend, &stack_config, var),
            Err(e) => (Verdict::Fail, e.to_string()),
        };
        add(&format!("{subject} secrets"), secrets.0, secrets.1);
    }
    match &found {
        Some(found) => {
            add("preview role", Verdict::Ok, found.outputs.preview_role_arn.clone());
            match found.outputs.deploy_role_arns.get(env.as_str()) {
                Some(arn) => add("deploy role", Verdict::Ok, arn.clone()),
                None => add(
                    "deploy role",
                    Verdict::Fail,
                    format!("the bootstrap stack has none for `{env}`: `stackpilot bootstrap --env {env}`"),
                ),
            }
            if let Some(config) = &config {
                let (verdict, detail) = lease_check(config, &found.outputs.state_bucket, env).await;
                add("deploy lease", verdict, detail);
            }
        }
        None => add(
            "deploy lease",
            Verdict::Note,
            "no state bucket: runs are not serialised beyond the check for a deployment in progress".into(),
        ),
    }
    Ok(checks)
}

async fn reachable(backend: &Backend, config: Option<&aws_config::SdkConfig>) -> (Verdict, String) {
    match (backend.kind, config) {
        (BackendKind::File, _) => {
            let path = backend.url.trim_start_matches("file://");
            if std::path::Path::new(path).is_dir() {
                (Verdict::Ok, ", folder exists".into())
            } else {
                (Verdict::Fail, ", folder missing".into())
            }
        }
        (BackendKind::S3, Some(config)) => {
            let bucket = url::Url::parse(&backend.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default();
            match aws::s3_client(config).head_bucket().bucket(&bucket).send().await {
                Ok(_) => (Verdict::Ok, ", bucket reachable".into()),
                Err(e) => (
                    Verdict::Fail,
                    format!(", bucket not reachable: {}", crate::aws::call_failure(&e)),
                ),
            }
        }
        _ => (Verdict::Note, ", not checked".into()),
    }
}

fn secrets_check(
    backend: &Backend,
    config: &crate::project::StackConfig,
    var: &dyn Fn(&str) -> Option<String>,
) -> (Verdict, String) {
    let provider = config
        .secrets_provider
        .clone()
        .or_else(|| backend.secrets_provider.clone())
        .unwrap_or_else(|| "passphrase".to_owned());
    match backend::check_secrets(backend, config, var) {
        Err(e) => (Verdict::Fail, e.to_string()),
        Ok(()) if provider.starts_with("awskms://") => (Verdict::Ok, crate::redact::location(&provider)),
        Ok(()) => (
            Verdict::Note,
            format!("{provider} (a shared passphrase; the bootstrap key needs none)"),
        ),
    }
}

async fn lease_check(config: &aws_config::SdkConfig, bucket: &str, env: &EnvName) -> (Verdict, String) {
    let key = lease::key_for(env.as_str());
    match lease::read(&aws::s3_client(config), bucket, &key).await {
        Ok((record, _)) if !record.is_expired(lease::now()) => (
            Verdict::Note,
            format!(
                "s3://{bucket}/{key}: held by {} until {}",
                record.holder,
                lease::when(record.expires_at)
            ),
        ),
        Ok(_) => (
            Verdict::Ok,
            format!("s3://{bucket}/{key}: free (an expired lease is there)"),
        ),
        Err(lease::LeaseError::Call { message, .. }) if message.contains("NoSuchKey") => {
            (Verdict::Ok, format!("s3://{bucket}/{key}: free"))
        }
        Err(e) => (Verdict::Fail, e.to_string()),
    }
}
