# Independent check of the Fox & Weisberg Rossi Cox model with R's survival::coxph (Efron ties).
# Run: python -c "from lifelines.datasets import load_rossi; load_rossi().to_csv('/tmp/rossi.csv', index=False)"
#      Rscript tests/reference/rossi/rossi_coxph.R /tmp/rossi.csv > tests/reference/rossi/rossi_coxph.Rout 2>&1
# The pytest suite never calls R: it reads the numbers committed in rossi_coxph.Rout / *.csv.
suppressMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
rossi <- read.csv(args[1])
cat(R.version.string, "; survival", as.character(packageVersion("survival")), "\n")
cat("rows", nrow(rossi), "events", sum(rossi$arrest), "\n\n")
options(digits = 10, width = 150)

fit <- coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = rossi)
print(summary(fit))
lr <- 2 * diff(fit$loglik)
cat("\nlikelihood ratio test", format(lr, digits = 12), "on", length(coef(fit)), "df\n")
out <- data.frame(term = names(coef(fit)), coef = unname(coef(fit)),
                  se = unname(sqrt(diag(vcov(fit)))))

here <- "tests/reference/rossi"
write.csv(out, file.path(here, "rossi_coxph_R.csv"), row.names = FALSE)
write.csv(data.frame(statistic = "likelihood_ratio", value = lr, df = length(coef(fit))),
          file.path(here, "rossi_coxph_R_lrt.csv"), row.names = FALSE)

# Cluster-robust SEs (artificial clusters of 4 consecutive rows) and a weighted + clustered fit,
# for the robust-variance checks of lifelines (issue #1598: robust ignored with cluster_col).
rossi$cl <- (seq_len(nrow(rossi)) - 1) %/% 4
rossi$w <- 1 + ((seq_len(nrow(rossi)) - 1) %% 3) / 2
fc <- coxph(Surv(week, arrest) ~ fin + age + prio, data = rossi, cluster = cl)
fw <- coxph(Surv(week, arrest) ~ fin + age + prio, data = rossi, weights = w, cluster = cl)
print(summary(fc)); print(summary(fw))
rob <- rbind(
  data.frame(model = "cluster", term = names(coef(fc)), coef = unname(coef(fc)),
             robust_se = unname(sqrt(diag(fc$var))), naive_se = unname(sqrt(diag(fc$naive.var)))),
  data.frame(model = "weighted_cluster", term = names(coef(fw)), coef = unname(coef(fw)),
             robust_se = unname(sqrt(diag(fw$var))), naive_se = unname(sqrt(diag(fw$naive.var)))))
write.csv(rob, file.path(here, "rossi_coxph_R_robust.csv"), row.names = FALSE)
