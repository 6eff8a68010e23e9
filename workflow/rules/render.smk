# HTML renders of the executed notebooks: not part of `all` (each render costs a process and
# nbconvert), asked for by `make report` (target `html`) and so part of the deposit.


rule notebook_html:
    """Render one executed notebook as standalone HTML (code, outputs, figures)."""
    input:
        results("notebooks", "{name}.ipynb"),
    output:
        results("notebooks", "{name}.html"),
    log:
        results("logs", "html", "{name}.log"),
    wildcard_constraints:
        name=r"[0-9][0-9a-z]*_[A-Za-z0-9_.-]+",
    conda:
        ENVIRONMENT
    shell:
        "python -m entangled_drums.product.notebook --render {input:q} {output:q} > {log:q} 2>&1"


rule html:
    """Every executed notebook of `all` rendered as HTML."""
    input:
        lambda wildcards: [p.replace(".ipynb", ".html") for p in rules.all.input if p.endswith(".ipynb")],
