//! `flowpost models`: the built-in models, one per line.

/// Arguments of `flowpost models`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    let list = flowpost_models::list();
    let width = list.iter().map(|m| m.name.len()).max().unwrap_or(0);
    for m in list {
        let reference = if m.has_reference {
            "  [posteriordb reference]"
        } else {
            ""
        };
        println!(
            "{:width$}  d={:<4} {}{reference}",
            m.name, m.dim, m.description
        );
    }
    Ok(())
}
