//! `flowpost models`: the built-in models, one per line (a model with two names once).

/// Arguments of `flowpost models`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    let all = flowpost_models::list();
    // A spine model that is a posteriordb posterior under another name (eight schools) is
    // listed once (its description names the other).
    let alias_of = |m: &flowpost_models::ModelInfo| {
        m.reference_folder()
            .filter(|f| *f != m.name && all.iter().any(|o| o.name == *f))
    };
    let aliases: Vec<&str> = all.iter().filter_map(alias_of).collect();
    let list: Vec<(String, &flowpost_models::ModelInfo)> = all
        .iter()
        .filter(|m| !aliases.contains(&m.name))
        .map(|m| (m.name.to_string(), m))
        .collect();
    let width = list.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, m) in list {
        let reference = if m.has_reference {
            "  [posteriordb reference]"
        } else {
            ""
        };
        println!(
            "{:width$}  d={:<4} {}{reference}",
            name, m.dim, m.description
        );
    }
    Ok(())
}
