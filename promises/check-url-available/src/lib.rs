//! Checks that an HTTP or HTTPS URL answers as expected: status code, content,
//! certificate lifetime.
//!
//! Replaces SlapOS's dash+curl `check_url_available` and `check_page_content`
//! recipes and the python-requests `check_url_available` plugin. Unlike them,
//! it verifies TLS by default (`-k` is the old behaviour), ignores proxy
//! variables from the environment (a local check sent to a proxy is the classic
//! false alarm), and never reads a body it was not asked to look into.
//!
//! # Module map
//!
//! One run goes down this list:
//!
//! - `args`: the command line (argh options, their help text, number parsers).
//! - `plan`: the options checked as a whole, without I/O, into a [`Plan`];
//!   `codes` (`--http-code`), `target` (`--url`, `--proxy` addresses) and
//!   `request` (method, headers, credentials) parse its pieces.
//! - `option_files`: `--password-file` and `--timeout-file`, read at run time.
//! - `tls`: what to trust, the client certificate, how TLS failures read.
//! - `check`: the request, redirects, and the verdict on the final response;
//!   `net` is the transport under it (resolver, CONNECT tunnel, TLS connector,
//!   progress), `content` the search of `--expect-content` in the body.
//! - `failure`: the wording of the verdicts (CRITICAL, WARNING, OK) and the
//!   error the check ends with.
//!
//! This file ties them together as a [`Promise`]: plan, deadline, execute.

mod args;
mod check;
mod codes;
mod content;
mod failure;
mod net;
mod option_files;
mod plan;
mod request;
mod target;
mod tls;
mod version1;

use shared::{Deadline, Promise, Report, Usage};

pub use args::{Args, MAX_CERT_MIN_DAYS, MAX_REDIRECTS};
pub use codes::Codes;
pub use failure::Error;
pub use option_files::{Secret, timeout_from_file};
pub use plan::{MAX_EXPECT, Plan, Policy};
pub use request::Method;
pub use tls::{FileArg, TlsPlan, Trust};

/// The parsers of what users and servers hand us, for the fuzz targets in
/// `fuzz/` (the check itself uses them through their modules).
#[doc(hidden)]
pub mod parsers {
    pub use crate::content::{Found, find};
    pub use crate::request::{MAX_HEADER_BYTES, basic_auth, check_credential, parse_headers};
    pub use crate::target::{MAX_URL, bare_host, host_port, parse_url, resolve, same_origin};
    pub use shared::x509::{format_utc, validity};
}

/// The life of a check: plan the options, read `--timeout-file`, load the
/// files and run.
impl Promise for Args {
    type Plan = Plan;
    type Error = Error;

    fn plan(self) -> Result<Plan, Usage> {
        plan::plan(self)
    }

    /// `--timeout-file`, read under the deadline of `--timeout`: a file on a
    /// hung mount cannot hold the run beyond it.
    fn deadline(plan: &Plan, started: Deadline) -> Deadline {
        let Some(file) = &plan.timeout_file else {
            return started;
        };
        started.set_stage(
            &plan.shown,
            &format!("reading --timeout-file {}", file.shown),
        );
        match option_files::timeout_from_file(file) {
            Some(timeout) => started.retime(timeout, &plan.shown),
            None => started,
        }
    }

    fn execute(plan: Plan, deadline: &Deadline, perfdata: bool) -> Result<Report, Error> {
        let stage = |file: &FileArg| {
            deadline.set_stage(
                &plan.shown,
                &format!("reading {} {}", file.option, file.shown),
            );
        };
        let tls = tls::Tls::load(plan.tls.clone(), &stage).map_err(Error::Config)?;
        let authorization = match &plan.auth {
            Some((username, secret)) => Some(
                request::basic_auth(username, &option_files::password(secret, &stage)?)
                    .map_err(Error::Config)?,
            ),
            None => None,
        };
        check::run(&plan, tls, authorization, deadline, perfdata)
    }
}
