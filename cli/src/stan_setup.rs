//! `flowpost stan-setup`: fetch the Stan toolchain from PyPI's httpstan wheel and unpack it.

use flowpost::stan::{HTTPSTAN_VERSION, Toolchain};
use std::path::PathBuf;

/// Arguments of `flowpost stan-setup`.
#[derive(clap::Args)]
pub struct Args {
    /// Toolchain directory [default: $FLOWPOST_STAN_HOME, else ~/.cache/flowpost/stan].
    #[arg(long)]
    pub home: Option<PathBuf>,
}

/// Sets the toolchain up (idempotent) and says where it is.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let home = args.home.unwrap_or_else(Toolchain::default_home);
    let toolchain = match Toolchain::locate_in(&home) {
        Ok(found) => {
            println!("already installed");
            found
        }
        Err(_) => {
            eprintln!(
                "fetching httpstan {HTTPSTAN_VERSION} from PyPI (~35 MB) and unpacking it into {}",
                home.display()
            );
            Toolchain::setup_in(&home)?
        }
    };
    println!("Stan toolchain: {}", toolchain.version());
    println!("home:           {}", toolchain.home().display());
    println!("stanc:          {}", toolchain.stanc().display());
    if home != Toolchain::default_home() {
        println!(
            "use it with:    export FLOWPOST_STAN_HOME={}",
            home.display()
        );
    }
    Ok(())
}
