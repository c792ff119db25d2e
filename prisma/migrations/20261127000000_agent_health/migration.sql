-- AlterTable
ALTER TABLE "Node" ADD COLUMN     "inhibitor" TEXT;

